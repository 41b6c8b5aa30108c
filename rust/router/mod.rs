//! The namespace router: which dynamic (parent) namespace's regular
//! expression first matches a namespace name.
//!
//! Patterns arrive already translated from Python's `re` (see
//! `python/socketio_rs/_router.py`): every pattern is one [`Engine`].
//! [`Engine::Regex`] patterns are matched together, in one pass, by
//! [`regex::RegexSet`]s built lazily on the first match after an
//! [`Router::add`]; [`Engine::Fancy`] patterns (lookarounds, backreferences)
//! run one by one on `fancy-regex`; [`Engine::Host`] patterns are decided by
//! the host (Python's `re`) through the callback of [`Router::first_match`].
//! The answer is the lowest index that matches, as a loop over the patterns in
//! registration order would give.

mod classes;

pub use classes::class_ranges;

use regex::{RegexSet, RegexSetBuilder};
use std::sync::OnceLock;

/// Heap limit of one compiled regex set (its NFA). Patterns that do not fit
/// together go into several sets (see [`Router::build`]).
const SET_SIZE_LIMIT: usize = 64 << 20;
/// Cap of one set's lazy DFA cache (filled only as names need states). With
/// 10,000 patterns a DFA state holds 10,000 NFA states: 32 MB made the DFA
/// give up on `/tenant-9999-42` and fall back to the NFA simulation (3.6 ms
/// instead of 6 us per match).
const SET_DFA_SIZE_LIMIT: usize = 64 << 20;
/// Heap limit when a single pattern is checked on its own in [`Router::add`].
const PATTERN_SIZE_LIMIT: usize = 16 << 20;

/// Which engine runs a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The `regex` crate, in the shared one-pass set.
    Regex,
    /// `fancy-regex` (backtracking), for lookarounds and backreferences.
    Fancy,
    /// The host's own engine (Python's `re`).
    Host,
}

impl Engine {
    /// The name the Python API reports.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Regex => "regex",
            Engine::Fancy => "fancy",
            Engine::Host => "python",
        }
    }
}

/// Why a pattern could not be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The `regex` crate rejected the pattern (syntax or size limit).
    #[error("the regex crate cannot compile this pattern: {0}")]
    Regex(String),
    /// `fancy-regex` rejected the pattern.
    #[error("fancy-regex cannot compile this pattern: {0}")]
    Fancy(String),
}

/// One pattern that is not in a set, in registration order.
#[derive(Debug)]
enum Single {
    Fancy(Box<fancy_regex::Regex>),
    Host,
}

/// The regex sets, compiled from the [`Engine::Regex`] patterns: each set
/// holds a run of them, with the router index of each of its patterns.
#[derive(Debug)]
struct Sets {
    sets: Vec<(RegexSet, Vec<usize>)>,
    /// Indexes of patterns no set could hold (cannot happen short of memory:
    /// each compiled alone in [`Router::add`]); the host decides them.
    undecided: Vec<usize>,
}

/// The patterns of the parent namespaces, in registration order.
#[derive(Debug, Default)]
pub struct Router {
    engines: Vec<Engine>,
    /// Sources of the [`Engine::Regex`] patterns, their router indexes and
    /// the heap size of their NFA alone (to cut the sets to size).
    set_sources: Vec<String>,
    set_indexes: Vec<usize>,
    set_sizes: Vec<usize>,
    /// The other patterns, with their router indexes, ascending.
    singles: Vec<(usize, Single)>,
    /// Built on the first match after an add, so that adding n patterns
    /// compiles the sets once, not n times.
    sets: OnceLock<Sets>,
}

impl Router {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many patterns were added.
    pub fn len(&self) -> usize {
        self.engines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.engines.is_empty()
    }

    /// The engine of pattern `index`, if there is one.
    pub fn engine(&self, index: usize) -> Option<Engine> {
        self.engines.get(index).copied()
    }

    /// Adds a pattern in the `regex` crate's syntax (`Engine::Regex`), in
    /// `fancy-regex`'s syntax (`Engine::Fancy`) or one the host decides
    /// (`Engine::Host`, `source` unused), and returns its index. The pattern
    /// is compiled on its own first: one that the engine rejects is not added.
    pub fn add(&mut self, engine: Engine, source: &str) -> Result<usize, Error> {
        let index = self.engines.len();
        match engine {
            Engine::Regex => {
                // Compiling the NFA checks the syntax and the size; the set
                // compiles the same NFA (a pattern no set can hold is left to
                // the host, see `build_sets`).
                self.set_sizes.push(nfa_size(source)?);
                self.set_sources.push(source.to_owned());
                self.set_indexes.push(index);
                self.sets = OnceLock::new();
            }
            Engine::Fancy => {
                let re = fancy_regex::RegexBuilder::new(source)
                    .delegate_size_limit(PATTERN_SIZE_LIMIT)
                    .build()
                    .map_err(|e| Error::Fancy(e.to_string()))?;
                self.singles.push((index, Single::Fancy(Box::new(re))));
            }
            Engine::Host => self.singles.push((index, Single::Host)),
        }
        self.engines.push(engine);
        Ok(index)
    }

    /// Compiles the regex sets now rather than on the next match.
    pub fn build(&self) {
        self.sets();
    }

    fn sets(&self) -> &Sets {
        self.sets
            .get_or_init(|| build_sets(&self.set_sources, &self.set_indexes, &self.set_sizes))
    }

    /// The lowest index whose pattern matches somewhere in `name`, or `None`.
    ///
    /// `host(i)` decides pattern `i` when Rust cannot: an [`Engine::Host`]
    /// pattern, or a fancy pattern that hit its backtracking limit. It is
    /// called only for indexes below every match found so far, in order.
    pub fn first_match<E>(
        &self,
        name: &str,
        mut host: impl FnMut(usize) -> Result<bool, E>,
    ) -> Result<Option<usize>, E> {
        let sets = self.sets();
        let mut best = sets.first_match(name);
        for (index, single) in &self.singles {
            if best.is_some_and(|hit| hit < *index) {
                break;
            }
            let matched = match single {
                Single::Fancy(re) => match re.is_match(name) {
                    Ok(m) => m,
                    // The backtracking limit: Python's `re` has none, so it decides.
                    Err(_) => host(*index)?,
                },
                Single::Host => host(*index)?,
            };
            if matched {
                best = Some(*index);
                break;
            }
        }
        for index in &sets.undecided {
            if best.is_some_and(|hit| hit < *index) {
                break;
            }
            if host(*index)? {
                return Ok(Some(*index));
            }
        }
        Ok(best)
    }
}

impl Sets {
    fn first_match(&self, name: &str) -> Option<usize> {
        // The sets hold ascending runs of indexes: the first set with a match
        // has the lowest one.
        self.sets.iter().find_map(|(set, indexes)| {
            let first = set.matches(name).into_iter().next()?;
            indexes.get(first).copied()
        })
    }
}

/// The heap size of the NFA of `source` alone, as the `regex` crate builds
/// it (the same syntax defaults); an error if it does not parse or is bigger
/// than [`PATTERN_SIZE_LIMIT`].
fn nfa_size(source: &str) -> Result<usize, Error> {
    use regex_automata::nfa::thompson::{Compiler, Config, WhichCaptures};
    let nfa = Compiler::new()
        .configure(
            Config::new()
                .nfa_size_limit(Some(PATTERN_SIZE_LIMIT))
                .which_captures(WhichCaptures::None),
        )
        .build(source)
        .map_err(|e| Error::Regex(e.to_string()))?;
    Ok(nfa.memory_usage())
}

/// Compiles `sources` into sets of consecutive patterns whose NFAs add up to
/// at most half of [`SET_SIZE_LIMIT`] (the margin covers what a set adds). A
/// run that still does not fit is split in halves; a single pattern that
/// does not fit (it compiled alone in [`Router::add`] with a smaller limit,
/// so only a lack of memory could do that) is left to the host.
fn build_sets(sources: &[String], indexes: &[usize], sizes: &[usize]) -> Sets {
    let mut out = Sets {
        sets: Vec::new(),
        undecided: Vec::new(),
    };
    let mut runs = Vec::new();
    let (mut start, mut total) = (0, 0usize);
    for (i, size) in sizes.iter().enumerate() {
        if i > start && total.saturating_add(*size) > SET_SIZE_LIMIT / 2 {
            runs.push(start..i);
            (start, total) = (i, 0);
        }
        total = total.saturating_add(*size);
    }
    runs.push(start..sources.len());
    // Last run first on the stack: sets are built in ascending index order.
    runs.reverse();
    while let Some(run) = runs.pop() {
        let (Some(srcs), Some(idx)) = (sources.get(run.clone()), indexes.get(run.clone())) else {
            continue;
        };
        if srcs.is_empty() {
            continue;
        }
        match RegexSetBuilder::new(srcs)
            .size_limit(SET_SIZE_LIMIT)
            .dfa_size_limit(SET_DFA_SIZE_LIMIT)
            .build()
        {
            Ok(set) => out.sets.push((set, idx.to_vec())),
            Err(_) if srcs.len() > 1 => {
                let mid = run.start + srcs.len() / 2;
                runs.push(mid..run.end);
                runs.push(run.start..mid);
            }
            Err(_) => out.undecided.extend_from_slice(idx),
        }
    }
    out
}

#[cfg(test)]
mod tests;
