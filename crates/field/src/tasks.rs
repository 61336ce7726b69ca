//! Tasks the centre gives the inspector: verifications (核查) of handled cases. They arrive
//! in the change feed with the case they are about ([`TaskChange`]) and stay on the device
//! until the centre records them done.

use gridwalk_protocol::TaskChange;

use crate::engine::Engine;
use crate::error::Result;

impl Engine {
    /// The tasks still open at the centre, the soonest due first.
    pub fn tasks(&self) -> Result<Vec<TaskChange>> {
        let db = self.db();
        let mut stmt = db
            .prepare("SELECT record FROM tasks WHERE centre_done_at IS NULL ORDER BY due_at, id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(crate::engine::from_json(&r?)?);
        }
        Ok(out)
    }
}
