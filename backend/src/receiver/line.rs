//! The receiver's bounded line reader: one line of at most a given number
//! of octets (RFC 5321 §4.5.3.1.4 commands, §4.5.3.1.6 text), the rest
//! of an over-long line read and dropped, never held.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// What reading one line gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A whole line, now in the buffer without its CRLF.
    Ok,
    /// A line over the limit; it was read to its end and dropped.
    TooLong,
    /// The peer closed the connection (a partial last line is dropped).
    Eof,
}

/// Reads one line of at most `max` octets (line ending included) into
/// `out`. Never holds more than `max` octets of one line.
pub async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
    out: &mut Vec<u8>,
) -> std::io::Result<Line> {
    out.clear();
    let mut too_long = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(Line::Eof);
        }
        let (take, found) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if !too_long {
            if out.len() + take > max {
                too_long = true;
                out.clear();
            } else {
                out.extend_from_slice(&available[..take]);
            }
        }
        reader.consume(take);
        if found {
            if too_long {
                return Ok(Line::TooLong);
            }
            out.pop();
            if out.last() == Some(&b'\r') {
                out.pop();
            }
            return Ok(Line::Ok);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::BufReader;

    async fn lines(input: &[u8], max: usize) -> Vec<(Line, Vec<u8>)> {
        let mut reader = BufReader::with_capacity(16, input);
        let mut out = Vec::new();
        let mut all = Vec::new();
        loop {
            let line = read_line(&mut reader, max, &mut out).await.unwrap();
            let eof = line == Line::Eof;
            all.push((line, out.clone()));
            if eof {
                return all;
            }
        }
    }

    #[tokio::test]
    async fn lines_are_cut_at_the_limit_and_the_rest_is_dropped() {
        let mut input = b"EHLO a\r\nNOOP\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 10_000));
        input.extend_from_slice(b"\r\nQUIT\r\npartial");
        let got = lines(&input, 512).await;
        assert_eq!(got[0], (Line::Ok, b"EHLO a".to_vec()));
        assert_eq!(got[1], (Line::Ok, b"NOOP".to_vec()));
        assert_eq!(got[2], (Line::TooLong, Vec::new()));
        assert_eq!(got[3], (Line::Ok, b"QUIT".to_vec()));
        assert_eq!(got[4].0, Line::Eof);
        assert_eq!(got.len(), 5);
        // Exactly at the limit, CRLF included, is allowed; one more is not.
        let ok = [vec![b'a'; 510], b"\r\n".to_vec()].concat();
        assert_eq!(lines(&ok, 512).await[0].0, Line::Ok);
        let over = [vec![b'a'; 511], b"\r\n".to_vec()].concat();
        assert_eq!(lines(&over, 512).await[0].0, Line::TooLong);
    }
}
