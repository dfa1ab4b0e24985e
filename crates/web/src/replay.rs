//! The output of a session as numbered frames, the newest kept within a bound of frames and
//! bytes, so that a client re-attaching after a dropped connection gets exactly what it missed,
//! and a client that missed more than is kept gets the whole screen instead.

use std::collections::VecDeque;

/// One `output` frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub seq: u64,
    pub data: String,
}

/// What a client that saw every frame up to some `seq` needs next.
#[derive(Debug, PartialEq, Eq)]
pub enum Missed<'a> {
    /// These frames, oldest first (none if it saw them all).
    Frames(Vec<&'a Frame>),
    /// More than is kept, or its screen is empty: send the whole screen. `frames_dropped` is how
    /// many frames it will not get one by one.
    Truncated { frames_dropped: u64 },
}

/// The newest frames of a session.
#[derive(Debug)]
pub struct Replay {
    frames: VecDeque<Frame>,
    /// Bytes of `data` held.
    bytes: usize,
    last_seq: u64,
    max_frames: usize,
    max_bytes: usize,
}

impl Replay {
    /// Keeps at most `max_frames` frames and `max_bytes` bytes of output, but always the newest
    /// frame, however large.
    pub fn new(max_frames: usize, max_bytes: usize) -> Self {
        Self {
            frames: VecDeque::new(),
            bytes: 0,
            last_seq: 0,
            max_frames: max_frames.max(1),
            max_bytes,
        }
    }

    /// Numbers `data` as the next frame (the first is 1), keeps it, and returns its `seq`.
    pub fn push(&mut self, data: String) -> u64 {
        self.last_seq += 1;
        self.bytes += data.len();
        self.frames.push_back(Frame {
            seq: self.last_seq,
            data,
        });
        while self.frames.len() > self.max_frames
            || (self.bytes > self.max_bytes && self.frames.len() > 1)
        {
            if let Some(oldest) = self.frames.pop_front() {
                self.bytes -= oldest.data.len();
            }
        }
        self.last_seq
    }

    /// The `seq` of the newest frame; 0 before the first.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// What a client needs that has seen every frame up to `last_seq` (0: none, e.g. a reloaded
    /// page). A `last_seq` this session never sent is treated as an empty screen.
    pub fn after(&self, last_seq: u64) -> Missed<'_> {
        let oldest_kept = self.frames.front().map_or(self.last_seq + 1, |f| f.seq);
        if last_seq == 0 || last_seq > self.last_seq || last_seq + 1 < oldest_kept {
            return Missed::Truncated {
                frames_dropped: self.last_seq.saturating_sub(last_seq),
            };
        }
        Missed::Frames(self.frames.iter().filter(|f| f.seq > last_seq).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seqs(missed: Missed<'_>) -> Vec<u64> {
        match missed {
            Missed::Frames(frames) => frames.iter().map(|f| f.seq).collect(),
            Missed::Truncated { frames_dropped } => panic!("truncated by {frames_dropped}"),
        }
    }

    #[test]
    fn frames_are_numbered_from_one_without_gaps() {
        let mut replay = Replay::new(10, 1 << 20);

        let numbers: Vec<u64> = ["a", "b", "c"]
            .iter()
            .map(|d| replay.push((*d).into()))
            .collect();

        assert_eq!(numbers, [1, 2, 3]);
        assert_eq!(replay.last_seq(), 3);
    }

    #[test]
    fn a_client_gets_exactly_the_frames_after_the_last_it_saw() {
        let mut replay = Replay::new(10, 1 << 20);
        for data in ["a", "b", "c", "d"] {
            replay.push(data.into());
        }

        assert_eq!(seqs(replay.after(2)), [3, 4]);
        assert_eq!(seqs(replay.after(4)), Vec::<u64>::new());
        match replay.after(1) {
            Missed::Frames(frames) => assert_eq!(frames[0].data, "b"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_client_that_missed_more_than_is_kept_gets_the_whole_screen() {
        let mut replay = Replay::new(3, 1 << 20);
        for n in 0..10 {
            replay.push(format!("frame {n}"));
        }

        // Frames 8, 9 and 10 are kept; a client at 7 needs only those.
        assert_eq!(seqs(replay.after(7)), [8, 9, 10]);
        assert_eq!(replay.after(5), Missed::Truncated { frames_dropped: 5 });
    }

    #[test]
    fn an_empty_screen_or_an_unknown_seq_gets_the_whole_screen() {
        let mut replay = Replay::new(10, 1 << 20);
        replay.push("a".into());
        replay.push("b".into());

        assert_eq!(replay.after(0), Missed::Truncated { frames_dropped: 2 });
        assert_eq!(replay.after(99), Missed::Truncated { frames_dropped: 0 });
    }

    #[test]
    fn the_byte_bound_holds_but_the_newest_frame_is_always_kept() {
        let mut replay = Replay::new(100, 10);
        replay.push("12345".into());
        replay.push("67890".into());
        replay.push("abc".into());

        assert_eq!(seqs(replay.after(1)), [2, 3]);
        assert!(replay.bytes <= 10);

        replay.push("a frame larger than the whole bound".into());
        assert_eq!(seqs(replay.after(3)), [4]);
    }
}
