//! Attachments a receiver blocks or distrusts: executables (Gmail refuses
//! them outright), Office documents with macros, archives (which hide their
//! content from scanners, more so when encrypted), names with a double
//! extension ("invoice.pdf.exe"), and content that does not match its name.

use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

use super::limits::{MAX_PARTS, MAX_SNIFF_BYTES};
use super::mime::find;

/// What kind of risk an attachment carries, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AttachmentRisk {
    /// An executable or script type that Gmail blocks.
    Executable,
    /// A name whose visible extension hides an executable one.
    DoubleExtension,
    /// An Office document carrying a VBA macro project.
    Macro,
    /// An encrypted (password-protected) archive.
    EncryptedArchive,
    /// An archive.
    Archive,
    /// The content's format does not match the name's extension.
    Mismatch,
    /// Nothing known against it.
    None,
}

impl AttachmentRisk {
    /// The word the report uses.
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentRisk::Executable => "executable",
            AttachmentRisk::DoubleExtension => "double_extension",
            AttachmentRisk::Macro => "macro",
            AttachmentRisk::EncryptedArchive => "encrypted_archive",
            AttachmentRisk::Archive => "archive",
            AttachmentRisk::Mismatch => "mismatch",
            AttachmentRisk::None => "none",
        }
    }
}

/// One attachment, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name (Content-Disposition `filename`, else Content-Type `name`).
    pub filename: String,
    /// The media type as declared.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: u64,
    /// The worst risk found.
    pub risk: AttachmentRisk,
}

/// Extensions Gmail blocks ("File types blocked in Gmail", Google Workspace
/// help 6590), lower case.
pub const BLOCKED_EXTENSIONS: &[&str] = &[
    "ade",
    "adp",
    "apk",
    "appx",
    "appxbundle",
    "bat",
    "cab",
    "chm",
    "cmd",
    "com",
    "cpl",
    "diagcab",
    "diagcfg",
    "diagpack",
    "dll",
    "dmg",
    "ex",
    "ex_",
    "exe",
    "hta",
    "img",
    "ins",
    "iso",
    "isp",
    "jar",
    "jnlp",
    "js",
    "jse",
    "lib",
    "lnk",
    "mde",
    "msc",
    "msi",
    "msix",
    "msixbundle",
    "msp",
    "mst",
    "nsh",
    "pif",
    "ps1",
    "scr",
    "sct",
    "shb",
    "sys",
    "vb",
    "vbe",
    "vbs",
    "vhd",
    "vxd",
    "wsc",
    "wsf",
    "wsh",
    "xll",
];

/// Office formats whose names say "macro-enabled".
const MACRO_EXTENSIONS: &[&str] = &[
    "docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppam", "ppsm", "sldm",
];

const ARCHIVE_EXTENSIONS: &[&str] = &[
    "zip", "rar", "7z", "gz", "tgz", "bz2", "xz", "tar", "ace", "arj", "lzh", "z", "zipx", "r00",
];

/// Extensions people read as harmless, used for the double-extension test.
const DOCUMENT_EXTENSIONS: &[&str] = &[
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "rtf", "jpg", "jpeg", "png", "gif",
    "csv", "htm", "html", "mp3", "mp4", "odt",
];

fn extensions(filename: &str) -> Vec<String> {
    filename
        .rsplit('.')
        .take(3)
        .map(|e| e.trim().to_ascii_lowercase())
        .collect()
}

/// Classifies one attachment from its name and its first bytes.
pub fn classify(filename: &str, content: &[u8]) -> AttachmentRisk {
    let exts = extensions(filename);
    let last = if filename.contains('.') {
        exts.first().map(String::as_str)
    } else {
        None
    };
    let previous = if exts.len() >= 3 || (exts.len() == 2 && filename.matches('.').count() >= 2) {
        exts.get(1).map(String::as_str)
    } else {
        None
    };
    let has = |list: &[&str], e: Option<&str>| e.is_some_and(|e| list.contains(&e));
    let sniff = &content[..content.len().min(MAX_SNIFF_BYTES)];
    let is_zip = sniff.starts_with(b"PK\x03\x04");
    let is_ole = sniff.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
    let is_exe = sniff.starts_with(b"MZ") || sniff.starts_with(b"\x7fELF");
    // A macro project: `vbaProject.bin` inside an OOXML ZIP, or the
    // `_VBA_PROJECT` stream (UTF-16LE directory name) of an OLE file.
    let vba_utf16: Vec<u8> = "_VBA_PROJECT".bytes().flat_map(|b| [b, 0]).collect();
    let has_macro = (is_zip && find(sniff, b"vbaProject.bin").is_some())
        || (is_ole && find(sniff, &vba_utf16).is_some());
    // An encrypted OOXML document is an OLE file holding an
    // `EncryptedPackage` stream (MS-OFFCRYPTO §2.3.4.4): scanners cannot
    // look inside, as with an encrypted archive.
    let package_utf16: Vec<u8> = "EncryptedPackage".bytes().flat_map(|b| [b, 0]).collect();
    if is_ole && find(sniff, &package_utf16).is_some() {
        return AttachmentRisk::EncryptedArchive;
    }
    if has(BLOCKED_EXTENSIONS, last) || is_exe {
        return if has(DOCUMENT_EXTENSIONS, previous) {
            AttachmentRisk::DoubleExtension
        } else {
            AttachmentRisk::Executable
        };
    }
    if has_macro || has(MACRO_EXTENSIONS, last) {
        return AttachmentRisk::Macro;
    }
    if is_zip
        || sniff.starts_with(b"Rar!")
        || sniff.starts_with(b"7z\xBC\xAF\x27\x1C")
        || has(ARCHIVE_EXTENSIONS, last)
    {
        // ZIP general-purpose flag bit 0: the entry is encrypted (APPNOTE 4.4.4).
        let encrypted = is_zip && sniff.get(6).is_some_and(|flags| flags & 1 == 1);
        let office = has(
            &["docx", "xlsx", "pptx", "odt", "ods", "odp", "epub", "jar"],
            last,
        );
        if encrypted {
            return AttachmentRisk::EncryptedArchive;
        }
        if !office {
            return if has(ARCHIVE_EXTENSIONS, last) || last.is_none() {
                AttachmentRisk::Archive
            } else {
                AttachmentRisk::Mismatch
            };
        }
    }
    let image_ext = has(&["jpg", "jpeg", "png", "gif"], last);
    let is_image = sniff.starts_with(b"\xFF\xD8\xFF")
        || sniff.starts_with(b"\x89PNG")
        || sniff.starts_with(b"GIF8");
    if image_ext && !is_image && !sniff.is_empty() {
        return AttachmentRisk::Mismatch;
    }
    AttachmentRisk::None
}

fn part_bytes<'a>(part: &'a MessagePart<'_>) -> &'a [u8] {
    match &part.body {
        PartType::Binary(b) | PartType::InlineBinary(b) => b,
        PartType::Text(t) | PartType::Html(t) => t.as_bytes(),
        _ => &[],
    }
}

/// Every attachment of `msg` (mail-parser's attachment list, nested
/// messages excepted), classified; at most [`MAX_PARTS`].
pub fn list_attachments(msg: &Message<'_>) -> Vec<Attachment> {
    msg.attachments
        .iter()
        .take(MAX_PARTS)
        .filter_map(|&id| msg.parts.get(id as usize))
        .filter(|part| !matches!(part.body, PartType::Message(_)))
        .map(|part| {
            let filename = part.attachment_name().unwrap_or_default().to_string();
            let content_type = part
                .content_type()
                .map(|c| match c.subtype() {
                    Some(sub) => format!("{}/{}", c.ctype(), sub),
                    None => c.ctype().to_string(),
                })
                .unwrap_or_else(|| "text/plain".to_string());
            let bytes = part_bytes(part);
            Attachment {
                risk: classify(&filename, bytes),
                filename,
                content_type,
                size: bytes.len() as u64,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let zip = b"PK\x03\x04\x14\x00\x00\x00rest word/document.xml";
        let zip_macro = b"PK\x03\x04\x14\x00\x00\x00 xl/vbaProject.bin";
        let zip_encrypted = b"PK\x03\x04\x14\x00\x01\x00 secret";
        for (name, content, risk) in [
            ("setup.exe", &b"MZ\x90"[..], AttachmentRisk::Executable),
            ("invoice.pdf.exe", b"MZ", AttachmentRisk::DoubleExtension),
            ("photo.jpg.scr", b"", AttachmentRisk::DoubleExtension),
            ("renamed.txt", b"MZ\x90\x00", AttachmentRisk::Executable),
            ("report.docm", b"", AttachmentRisk::Macro),
            ("macro.xlsm", zip_macro, AttachmentRisk::Macro),
            ("renamed.jpg", zip_macro, AttachmentRisk::Macro),
            ("nomacro.xlsx", zip, AttachmentRisk::None),
            ("files.zip", zip, AttachmentRisk::Archive),
            (
                "locked.zip",
                zip_encrypted,
                AttachmentRisk::EncryptedArchive,
            ),
            ("photo.jpg", zip, AttachmentRisk::Mismatch),
            ("photo.jpg", b"\xFF\xD8\xFF\xE0", AttachmentRisk::None),
            ("good.csv", b"a,b\n1,2\n", AttachmentRisk::None),
            ("", b"", AttachmentRisk::None),
            ("...", b"", AttachmentRisk::None),
        ] {
            assert_eq!(classify(name, content), risk, "name: {name:?}");
        }
    }
}
