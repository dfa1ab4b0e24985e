//! A program in a pseudo-terminal: its output as whole UTF-8 text chunks on a channel, its input
//! written as bytes, its size changed as the browser window changes. Dropping the [`Terminal`]
//! kills the program, so no dashboard outlives its session.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use tokio::sync::mpsc;

use crate::utf8::Utf8Stream;

/// Bytes read from the terminal at a time.
const READ_CHUNK: usize = 16 * 1024;

/// A terminal size in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub cols: u16,
    pub rows: u16,
}

impl Size {
    fn pty(self) -> PtySize {
        PtySize {
            rows: self.rows.max(1),
            cols: self.cols.max(1),
            pixel_width: 0,
            pixel_height: 0,
        }
    }
}

/// What to run: a program, its arguments, and variables added to the environment.
#[derive(Debug, Clone)]
pub struct Program {
    pub path: PathBuf,
    pub args: Vec<OsString>,
    pub env: Vec<(OsString, OsString)>,
}

/// A running program in its own pseudo-terminal.
pub struct Terminal {
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
}

impl std::fmt::Debug for Terminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminal")
            .field("pid", &self.child.process_id())
            .finish_non_exhaustive()
    }
}

impl Terminal {
    /// Starts `program` in a new pseudo-terminal of `size` (with `TERM=xterm-256color`). Its
    /// output goes to `output` from a reading thread, never splitting a character; the channel
    /// closes when the program's side of the terminal does.
    pub fn spawn(program: &Program, size: Size, output: mpsc::Sender<String>) -> io::Result<Self> {
        let pair = native_pty_system()
            .openpty(size.pty())
            .map_err(io::Error::other)?;
        let mut command = CommandBuilder::new(&program.path);
        command.args(&program.args);
        command.env("TERM", "xterm-256color");
        command.env("COLORTERM", "truecolor");
        for (name, value) in &program.env {
            command.env(name, value);
        }
        let child = pair
            .slave
            .spawn_command(command)
            .map_err(|e| io::Error::other(format!("{}: {e}", program.path.display())))?;
        // The program holds its side now; keeping ours open would hide its exit from the reader.
        drop(pair.slave);
        let reader = pair.master.try_clone_reader().map_err(io::Error::other)?;
        let writer = pair.master.take_writer().map_err(io::Error::other)?;
        std::thread::Builder::new()
            .name("odto-web-pty".into())
            .spawn(move || forward(reader, output))?;
        Ok(Self {
            master: pair.master,
            writer,
            child,
        })
    }

    /// Types `bytes` into the terminal.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer.write_all(bytes)?;
        self.writer.flush()
    }

    /// Changes the terminal's size; the program is told (SIGWINCH) and lays itself out again.
    pub fn resize(&self, size: Size) -> io::Result<()> {
        self.master.resize(size.pty()).map_err(io::Error::other)
    }

    /// The program's process id, while it runs.
    pub fn process_id(&self) -> Option<u32> {
        self.child.process_id()
    }

    /// Whether the program has exited.
    pub fn has_exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        if !self.has_exited() {
            if let Err(error) = self.child.kill() {
                tracing::warn!(%error, "could not stop the program of a terminal");
            }
            // Reap it, so that no zombie is left behind.
            let _ = self.child.wait();
        }
    }
}

/// Reads the terminal until the program's side closes, sending whole characters.
fn forward(mut reader: Box<dyn Read + Send>, output: mpsc::Sender<String>) {
    let mut text = Utf8Stream::default();
    let mut buffer = vec![0; READ_CHUNK];
    loop {
        // EOF or EIO: the program exited and its side of the terminal is closed.
        let read = match reader.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        let chunk = text.push(&buffer[..read]);
        if !chunk.is_empty() && output.blocking_send(chunk).is_err() {
            return;
        }
    }
}
