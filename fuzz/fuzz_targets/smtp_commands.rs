//! The receiver's input path (issue #16): any bytes are cut into lines by
//! the bounded line reader (512 octets, RFC 5321 §4.5.3.1.4) and each line
//! goes through the command parser. No panic, no line over the limit, and
//! a refusal is always a 5xx reply whose wire form is one CRLF-ended line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mxlens_backend::receiver::line::{read_line, Line};
use mxlens_shared::delivery::command::{parse_command, MAX_COMMAND_LINE};

fuzz_target!(|data: &[u8]| {
    let mut reader = tokio::io::BufReader::with_capacity(64, data);
    let mut line = Vec::new();
    futures::executor::block_on(async {
        loop {
            match read_line(&mut reader, MAX_COMMAND_LINE, &mut line).await {
                Ok(Line::Ok) => {
                    assert!(line.len() < MAX_COMMAND_LINE);
                    if let Err(reply) = parse_command(&line) {
                        assert!((500..600).contains(&reply.code), "{reply:?}");
                        let wire = reply.to_wire();
                        assert!(wire.ends_with("\r\n"));
                        assert_eq!(wire.matches('\n').count(), 1, "{wire:?}");
                    }
                }
                Ok(Line::TooLong) => {}
                Ok(Line::Eof) | Err(_) => break,
            }
        }
    });
});
