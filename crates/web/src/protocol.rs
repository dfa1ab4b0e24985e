//! The wire protocol: one JSON object per WebSocket text frame, tagged by `type`. It is the
//! reference's (`web-pty-server/src/protocol.rs`), names included, so the reference's page works
//! against this server: message types are snake_case, fields are snake_case except `sessionId`
//! and `reconnectToken`, error codes are SCREAMING_SNAKE_CASE.
//!
//! A connection's first client frame decides what it is: `resize` starts a new session at that
//! size, `reconnect` re-attaches to an existing one. Tokens travel only in frames, never in a URL.

use serde::{Deserialize, Serialize};

/// What a browser sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// The terminal's size; the first frame of a new session, then whenever the window changes.
    Resize { cols: u16, rows: u16 },
    /// Keystrokes or pasted text, as xterm.js reports them (escape sequences included).
    Input { data: String },
    /// Keepalive; answered with [`ServerMessage::Pong`].
    Ping,
    /// Re-attach to `session` with its single-use `token`, replaying every frame after
    /// `last_seq` (0 or absent: none was seen, send the whole screen).
    Reconnect {
        session: String,
        token: String,
        #[serde(default)]
        last_seq: Option<u64>,
    },
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// A new session: its id, and the token that re-attaches to it once.
    Session {
        #[serde(rename = "sessionId")]
        session_id: String,
        #[serde(rename = "reconnectToken")]
        reconnect_token: String,
    },
    /// Re-attached; the old token is spent and this one replaces it.
    Reconnected {
        #[serde(rename = "sessionId")]
        session_id: String,
        #[serde(rename = "reconnectToken")]
        reconnect_token: String,
    },
    /// Terminal output; `seq` increases by one per frame within a session.
    Output {
        data: String,
        seq: u64,
    },
    /// The frames after `from_seq - 1` follow, as `output`, up to [`ServerMessage::ReplayEnd`].
    ReplayBegin {
        from_seq: u64,
    },
    /// The replay is complete; live output continues after `last_seq`.
    ReplayEnd {
        last_seq: u64,
    },
    /// `frames_dropped` frames the client missed are gone; a snapshot of the whole screen follows
    /// instead.
    BufferTruncated {
        frames_dropped: u64,
    },
    /// Something the person should know, e.g. a key refused in read-only mode.
    Notice {
        message: String,
    },
    Pong,
    /// Why the server refused or ended the session; the connection closes after it.
    Error {
        message: String,
        code: ErrorCode,
    },
}

/// The stable codes of [`ServerMessage::Error`], the reference's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// A token is configured and the request carried none.
    AuthRequired,
    /// The request carried a wrong token.
    AuthFailed,
    /// `reconnect` named a session that does not exist (any more).
    SessionNotFound,
    /// `reconnect` with a token that is wrong, already used or expired.
    InvalidToken,
    /// The server holds as many sessions as it may.
    GlobalCap,
    /// This client holds as many sessions as it may.
    PerIpCap,
    /// The dashboard could not be started in a terminal.
    PtySpawnFailed,
    InternalError,
}

impl ClientMessage {
    /// Reads one text frame; the error says what is wrong, for a [`ServerMessage::Notice`].
    pub fn parse(frame: &str) -> Result<Self, String> {
        serde_json::from_str(frame).map_err(|e| format!("not a message of this protocol: {e}"))
    }
}

impl ServerMessage {
    /// The text frame.
    pub fn to_frame(&self) -> String {
        // Every variant is a map of strings and numbers: serializing cannot fail.
        serde_json::to_string(self).expect("a server message serializes")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn wire(message: &ServerMessage) -> Value {
        serde_json::from_str(&message.to_frame()).unwrap()
    }

    #[test]
    fn client_frames_are_read_with_the_reference_names() {
        let frames = [
            (
                r#"{"type":"resize","cols":120,"rows":40}"#,
                ClientMessage::Resize {
                    cols: 120,
                    rows: 40,
                },
            ),
            (
                r#"{"type":"input","data":"\u001b[A"}"#,
                ClientMessage::Input {
                    data: "\x1b[A".into(),
                },
            ),
            (r#"{"type":"ping"}"#, ClientMessage::Ping),
            (
                r#"{"type":"reconnect","session":"s-1","token":"t-1","last_seq":42}"#,
                ClientMessage::Reconnect {
                    session: "s-1".into(),
                    token: "t-1".into(),
                    last_seq: Some(42),
                },
            ),
            (
                r#"{"type":"reconnect","session":"s-1","token":"t-1"}"#,
                ClientMessage::Reconnect {
                    session: "s-1".into(),
                    token: "t-1".into(),
                    last_seq: None,
                },
            ),
        ];

        for (frame, expected) in frames {
            assert_eq!(ClientMessage::parse(frame), Ok(expected), "{frame}");
        }
    }

    #[test]
    fn server_frames_carry_the_reference_names() {
        let session = ServerMessage::Session {
            session_id: "s-1".into(),
            reconnect_token: "t-1".into(),
        };
        assert_eq!(
            wire(&session),
            json!({"type": "session", "sessionId": "s-1", "reconnectToken": "t-1"})
        );
        let output = ServerMessage::Output {
            data: "hi".into(),
            seq: 7,
        };
        assert_eq!(
            wire(&output),
            json!({"type": "output", "data": "hi", "seq": 7})
        );
        assert_eq!(
            wire(&ServerMessage::ReplayBegin { from_seq: 3 }),
            json!({"type": "replay_begin", "from_seq": 3})
        );
        assert_eq!(
            wire(&ServerMessage::ReplayEnd { last_seq: 9 }),
            json!({"type": "replay_end", "last_seq": 9})
        );
        assert_eq!(
            wire(&ServerMessage::BufferTruncated { frames_dropped: 5 }),
            json!({"type": "buffer_truncated", "frames_dropped": 5})
        );
        assert_eq!(wire(&ServerMessage::Pong), json!({"type": "pong"}));
    }

    #[test]
    fn error_codes_are_the_reference_strings() {
        let codes = [
            (ErrorCode::AuthRequired, "AUTH_REQUIRED"),
            (ErrorCode::AuthFailed, "AUTH_FAILED"),
            (ErrorCode::SessionNotFound, "SESSION_NOT_FOUND"),
            (ErrorCode::InvalidToken, "INVALID_TOKEN"),
            (ErrorCode::GlobalCap, "GLOBAL_CAP"),
            (ErrorCode::PerIpCap, "PER_IP_CAP"),
            (ErrorCode::PtySpawnFailed, "PTY_SPAWN_FAILED"),
            (ErrorCode::InternalError, "INTERNAL_ERROR"),
        ];

        for (code, text) in codes {
            let error = ServerMessage::Error {
                message: "why".into(),
                code,
            };
            assert_eq!(
                wire(&error),
                json!({"type": "error", "message": "why", "code": text})
            );
        }
    }

    #[test]
    fn a_frame_of_another_protocol_is_an_error_not_a_panic() {
        for frame in ["", "[]", r#"{"type":"launch"}"#, r#"{"type":"resize"}"#] {
            assert!(ClientMessage::parse(frame).is_err(), "{frame}");
        }
    }
}
