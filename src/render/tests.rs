//! Model → promtool unit test files (`alerts/tests/<group>.test.yml`):
//! generated cases for every generated alert, then the group's own `tests:`.

use serde::Serialize;

use crate::model::{Model, TestFile};
use crate::spec::RuleTest;

#[derive(Serialize)]
struct File<'a> {
    rule_files: &'a [String],
    evaluation_interval: &'static str,
    tests: &'a [RuleTest],
}

/// Render one test file.
pub fn file(_m: &Model, t: &TestFile) -> super::Bytes {
    super::yaml(&File {
        rule_files: &t.rule_files,
        evaluation_interval: "1m",
        tests: &t.tests,
    })
}
