//! A progress line on stderr for large trees, only when stderr is a terminal.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Progress {
    shown: bool,
    total: usize,
    done: AtomicUsize,
}

impl Progress {
    pub fn new(wanted: bool, total: usize) -> Progress {
        use std::io::IsTerminal;
        Progress { shown: wanted && std::io::stderr().is_terminal(), total, done: AtomicUsize::new(0) }
    }

    pub fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if done.is_multiple_of(50) || done == self.total {
            self.draw();
        }
    }

    /// Counts files done without drawing (the caller draws between its own output).
    pub fn add(&self, files: usize) {
        self.done.fetch_add(files, Ordering::Relaxed);
    }

    /// Draws the line again (after `finish` cleared it for other output).
    pub fn draw(&self) {
        if self.shown {
            let done = self.done.load(Ordering::Relaxed);
            let width = 30;
            let filled = width * done / self.total.max(1);
            let bar = format!("{}{}", "#".repeat(filled), ".".repeat(width - filled));
            let _ = write!(std::io::stderr(), "\r[{bar}] {done}/{} files", self.total);
        }
    }

    /// Clears the line.
    pub fn finish(&self) {
        if self.shown {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
        }
    }
}
