//! The inputs of stored delivery reports (issue #16): the SMTP
//! transaction's facts and the raw message, so a report is recomputed from
//! what arrived. A row lives as long as its report (migration 4 cascades
//! the delete).

use base64::Engine;
use sqlx::Row;

use super::{Pool, Store};

impl Store {
    /// Stores the report's inputs; the report row must exist.
    pub async fn put_delivery_input(
        &self,
        id: &str,
        facts_json: &str,
        raw: &[u8],
    ) -> Result<(), sqlx::Error> {
        let raw = base64::engine::general_purpose::STANDARD.encode(raw);
        with_pool!(self, pool => {
            sqlx::query("INSERT INTO delivery_inputs (id, facts, raw_base64) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(facts_json)
                .bind(&raw)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The stored facts (JSON) and raw message of delivery `id`.
    pub async fn get_delivery_input(
        &self,
        id: &str,
    ) -> Result<Option<(String, Vec<u8>)>, sqlx::Error> {
        let row = with_pool!(self, pool => {
            sqlx::query("SELECT facts, raw_base64 FROM delivery_inputs WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
                .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
        });
        Ok(row.map(|(facts, raw)| {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(raw.as_bytes())
                .unwrap_or_default();
            (facts, raw)
        }))
    }
}
