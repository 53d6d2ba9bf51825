//! Progress on stderr while a phase runs: a bar on a terminal, a plain
//! line a second otherwise (CI logs, pipes), so stdout stays the summary.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Counters the workers bump and the reporter reads.
#[derive(Debug, Default)]
pub struct Counters {
    /// Calls finished (ok or not).
    pub done: AtomicU64,
    /// Calls that failed.
    pub errors: AtomicU64,
}

/// What the bar measures.
#[derive(Debug, Clone, Copy)]
pub enum Goal {
    /// A known number of calls.
    Calls(u64),
    /// A length of time.
    Time(Duration),
}

/// Reports progress of `phase` until `finished` is set.
pub fn report(phase: &str, goal: Goal, counters: &Counters, finished: &AtomicBool) {
    let started = Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let bar = terminal.then(|| bar(phase, goal));
    let tick = if terminal {
        Duration::from_millis(100)
    } else {
        Duration::from_secs(1)
    };
    let mut last_line = Instant::now();
    loop {
        let ended = finished.load(Ordering::Acquire);
        // Plain output ends every phase with its totals line, so even a
        // phase shorter than one tick reports; a bar just clears.
        if ended && bar.is_some() {
            break;
        }
        if !ended {
            std::thread::sleep(Duration::from_millis(50));
            if last_line.elapsed() < tick {
                continue;
            }
        }
        last_line = Instant::now();
        let done = counters.done.load(Ordering::Relaxed);
        let errors = counters.errors.load(Ordering::Relaxed);
        let elapsed = started.elapsed();
        let rate = done as f64 / elapsed.as_secs_f64().max(1e-3);
        match &bar {
            Some(bar) => {
                bar.set_position(match goal {
                    Goal::Calls(_) => done,
                    Goal::Time(_) => elapsed.as_secs(),
                });
                bar.set_message(format!("{done} done, {errors} errors, {rate:.0}/s"));
            }
            None => {
                let of = match goal {
                    Goal::Calls(n) => format!("/{n}"),
                    Goal::Time(d) => format!(" in {:.0}/{} s", elapsed.as_secs_f64(), d.as_secs()),
                };
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "{phase}: {done}{of}, {errors} errors, {rate:.0}/s"
                );
            }
        }
        if ended {
            break;
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

fn bar(phase: &str, goal: Goal) -> ProgressBar {
    let (len, unit) = match goal {
        Goal::Calls(n) => (n, ""),
        Goal::Time(d) => (d.as_secs(), " s"),
    };
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    let template = format!("{phase:>9} [{{bar:30}}] {{pos}}/{{len}}{unit} {{msg}}");
    // The template is built from fixed text; should it ever fail to parse,
    // the default style still shows progress.
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
