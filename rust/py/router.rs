//! `Router`: the binding of [`crate::router::Router`]. The Python subclass
//! `socketio_rs._router.RegexRouter` translates `re` patterns and adds them;
//! `first_match`, the hot path, is this class's own method.

use super::ffi_ext::str_text;
use crate::router::{self, Engine};
use pyo3::exceptions::{PyIndexError, PyValueError};
use pyo3::prelude::*;
use pyo3::pyclass::{PyTraverseError, PyVisit};
use pyo3::types::PyString;

/// The compiled regular expressions of parent namespaces, in registration order.
#[pyclass(module = "socketio_rs._core", name = "Router", subclass)]
pub struct Router {
    core: router::Router,
    /// `pattern.search` of every index: the host's answer where Rust has none.
    searches: Vec<Py<PyAny>>,
}

fn engine_from_name(name: &str) -> PyResult<Engine> {
    match name {
        "regex" => Ok(Engine::Regex),
        "fancy" => Ok(Engine::Fancy),
        "python" => Ok(Engine::Host),
        _ => Err(PyValueError::new_err(format!(
            "unknown engine {name:?}: expected 'regex', 'fancy' or 'python'"
        ))),
    }
}

#[pymethods]
impl Router {
    #[new]
    fn new() -> Self {
        Router {
            core: router::Router::new(),
            searches: Vec::new(),
        }
    }

    /// Adds `pattern` (a compiled `re.Pattern`), run by `engine` from
    /// `source`, its translation to that engine's syntax (ignored for
    /// `"python"`). Returns its index; raises `ValueError` when the engine
    /// rejects `source` (nothing is added then).
    #[pyo3(signature = (pattern, /, *, engine, source = ""))]
    fn add_translated(
        &mut self,
        pattern: &Bound<'_, PyAny>,
        engine: &str,
        source: &str,
    ) -> PyResult<usize> {
        let engine = engine_from_name(engine)?;
        let search = pattern.getattr("search")?.unbind();
        let index = self
            .core
            .add(engine, source)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        self.searches.push(search);
        Ok(index)
    }

    /// The lowest index whose pattern matches `name` (search semantics), or None.
    #[pyo3(signature = (name, /))]
    fn first_match(&self, name: &Bound<'_, PyString>) -> PyResult<Option<usize>> {
        let host = |index: usize| -> PyResult<bool> {
            let search = self
                .searches
                .get(index)
                .ok_or_else(|| PyIndexError::new_err("router cleared by the garbage collector"))?;
            Ok(!search.bind(name.py()).call1((name,))?.is_none())
        };
        // SAFETY: `name` is a live str, borrowed for this call, and the
        // interpreter is attached; `text` does not outlive `name`.
        match unsafe { str_text(name.as_ptr()) } {
            Some(text) => self.core.first_match(text, host),
            // A lone surrogate: not UTF-8, so only Python's `re` can look at it.
            None => {
                for index in 0..self.core.len() {
                    if host(index)? {
                        return Ok(Some(index));
                    }
                }
                Ok(None)
            }
        }
    }

    /// Which engine runs pattern `index`: "regex", "fancy" or "python".
    #[pyo3(signature = (index, /))]
    fn engine(&self, index: isize) -> PyResult<&'static str> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.core.engine(i))
            .map(Engine::name)
            .ok_or_else(|| PyIndexError::new_err("router index out of range"))
    }

    /// Compiles the regex sets now instead of on the next `first_match`.
    fn build(&self) {
        self.core.build();
    }

    fn __len__(&self) -> usize {
        self.core.len()
    }

    /// The inclusive code point ranges of a character class in the `regex`
    /// crate's syntax (such as `\w`), as that crate compiles it.
    #[staticmethod]
    #[pyo3(signature = (class_, /))]
    fn class_ranges(class_: &str) -> PyResult<Vec<(u32, u32)>> {
        router::class_ranges(class_).map_err(|e| PyValueError::new_err(e.to_string()))
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        for search in &self.searches {
            visit.call(search)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.searches.clear();
    }
}
