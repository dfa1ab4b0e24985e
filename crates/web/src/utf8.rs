//! PTY output arrives in chunks of bytes that may end in the middle of a character; a text frame
//! must not. [`Utf8Stream`] holds an incomplete character back until its next bytes arrive.

/// Text from a stream of bytes, one chunk at a time.
#[derive(Debug, Default)]
pub struct Utf8Stream {
    /// The start of a character whose remaining bytes have not arrived (at most 3 bytes).
    pending: Vec<u8>,
}

impl Utf8Stream {
    /// The text of `chunk` after what was held back, holding back a character it cuts short.
    /// Bytes that can never be UTF-8 become U+FFFD, as a terminal would show them.
    pub fn push(&mut self, chunk: &[u8]) -> String {
        let mut bytes = std::mem::take(&mut self.pending);
        bytes.extend_from_slice(chunk);
        let mut text = String::with_capacity(bytes.len());
        let mut rest = bytes.as_slice();
        loop {
            match std::str::from_utf8(rest) {
                Ok(valid) => {
                    text.push_str(valid);
                    break;
                }
                Err(error) => {
                    let (valid, after) = rest.split_at(error.valid_up_to());
                    text.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    match error.error_len() {
                        Some(invalid) => {
                            text.push(char::REPLACEMENT_CHARACTER);
                            rest = &after[invalid..];
                        }
                        None => {
                            self.pending = after.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_split_across_chunks_arrives_whole() {
        let bytes = "état ● ok 🙂".as_bytes();
        for cut in 0..=bytes.len() {
            let mut stream = Utf8Stream::default();

            let text = stream.push(&bytes[..cut]) + &stream.push(&bytes[cut..]);

            assert_eq!(text, "état ● ok 🙂", "cut at {cut}");
        }
    }

    #[test]
    fn every_frame_is_whole_characters_even_byte_by_byte() {
        let mut stream = Utf8Stream::default();

        let frames: Vec<String> = "●🙂".bytes().map(|b| stream.push(&[b])).collect();

        assert_eq!(frames.concat(), "●🙂");
        assert!(frames.iter().all(|f| f.is_empty() || f == "●" || f == "🙂"));
    }

    #[test]
    fn bytes_that_are_never_utf8_become_replacement_characters() {
        let mut stream = Utf8Stream::default();

        assert_eq!(stream.push(b"a\xffb\xc3("), "a\u{fffd}b\u{fffd}(");
    }
}
