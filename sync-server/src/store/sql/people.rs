//! People, their devices and console sessions, in SQL both databases run.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gridwalk_protocol::message::msg;
use gridwalk_protocol::{DeviceId, MutationId, UserId};

use super::chain::append_act;
use super::{Database, Mode, Row, Sql, Value, params, tag, tagged, tx};
use crate::domain::enrollment::{self, Redeemed, Refusal, Replaced, StoredCode};
use crate::domain::model::{AdminAct, Device, DeviceEntry, User};
use crate::store::{DeviceStore, SessionStore, StoreError, StoreResult};

const USER_COLUMNS: &str = "u.id, u.login, u.name, u.role, u.team, u.cells, u.badge, \
    u.camera_serial, u.department, u.source";

/// A user from the first ten columns of `row` ([`USER_COLUMNS`]).
fn user(row: &Row) -> StoreResult<User> {
    Ok(User {
        id: row.get(0)?,
        login: row.get(1)?,
        name: row.get(2)?,
        role: tagged(row, 3)?,
        team: row.get(4)?,
        cells: row.json(5)?,
        badge: row.get(6)?,
        camera_serial: row.get(7)?,
        department: row.get(8)?,
        source: row
            .get::<Option<String>>(9)?
            .map(|s| s.parse())
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("a user's source: {e}")))?,
    })
}

#[async_trait]
impl<D: Database> DeviceStore for D {
    async fn put_users(&self, users: &[User]) -> StoreResult<()> {
        let rows = users
            .iter()
            .map(|u| {
                Ok(vec![
                    Value::from(u.id),
                    Value::from(&u.login),
                    Value::from(&u.name),
                    Value::from(tag(&u.role)),
                    Value::from(u.team.clone()),
                    Value::json(&u.cells)?,
                    Value::from(u.badge.clone()),
                    Value::from(u.camera_serial.clone()),
                    Value::from(u.department.clone()),
                    Value::from(u.source.map(|s| s.as_str())),
                ])
            })
            .collect::<StoreResult<Vec<_>>>()?;
        tx!(self, Mode::Write, |tx| {
            for values in rows {
                tx.execute(
                    "INSERT INTO users (id, login, name, role, team, cells, badge, camera_serial,
                                        department, source)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                     ON CONFLICT (login) DO UPDATE SET name = excluded.name, role = excluded.role,
                        team = excluded.team, cells = excluded.cells, badge = excluded.badge,
                        camera_serial = excluded.camera_serial, department = excluded.department,
                        source = excluded.source",
                    values,
                )
                .await?;
            }
            Ok(())
        })
    }

    async fn user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
        let login = login.to_owned();
        tx!(self, Mode::Read, |tx| {
            tx.opt(
                &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.login = $1"),
                params![login],
            )
            .await?
            .as_ref()
            .map(user)
            .transpose()
        })
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        tx!(self, Mode::Read, |tx| {
            tx.opt(
                &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"),
                params![id],
            )
            .await?
            .as_ref()
            .map(user)
            .transpose()
        })
    }

    async fn enroll_device(
        &self,
        device: DeviceId,
        user: UserId,
        token_sha256: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let token = token_sha256.to_owned();
        tx!(self, Mode::Write, |tx| {
            tx.execute(
                "INSERT INTO devices (id, user_id, token_sha256, enrolled_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id,
                    token_sha256 = excluded.token_sha256, enrolled_at = excluded.enrolled_at,
                    revoked_at = NULL, public_key = NULL, key_bound_at = NULL",
                params![device, user, token, at],
            )
            .await?;
            Ok(())
        })
    }

    async fn create_enrollment_code(
        &self,
        code_sha256: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
        act: &AdminAct,
    ) -> StoreResult<()> {
        let (code, act) = (code_sha256.to_owned(), act.clone());
        tx!(self, Mode::Write, |tx| {
            tx.execute(
                "INSERT INTO enrollment_codes (code_sha256, user_id, created_by, created_at,
                                               expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
                params![code, user, &act.actor, act.at, expires_at],
            )
            .await?;
            append_act(tx, &act).await
        })
    }

    async fn redeem_enrollment_code(
        &self,
        code_sha256: &str,
        device: DeviceId,
        token_sha256: &str,
        public_key: &str,
        act: &AdminAct,
    ) -> StoreResult<Redeemed> {
        let (code, token, key, mut act) = (
            code_sha256.to_owned(),
            token_sha256.to_owned(),
            public_key.to_owned(),
            act.clone(),
        );
        tx!(self, Mode::Write, |tx| {
            let found = tx
                .opt(
                    &format!(
                        "SELECT c.user_id, c.expires_at, c.used_at, c.created_by, u.login,
                                u.disabled_at
                           FROM enrollment_codes c JOIN users u ON u.id = c.user_id
                          WHERE c.code_sha256 = $1{lock}",
                        lock = tx.dialect().lock
                    ),
                    params![&code],
                )
                .await?;
            let stored = found
                .as_ref()
                .map(|r| {
                    Ok::<_, StoreError>(StoredCode {
                        user: r.get(0)?,
                        expires_at: r.get(1)?,
                        used_at: r.get(2)?,
                    })
                })
                .transpose()?;
            let user = match enrollment::judge(stored, act.at) {
                Ok(user) => user,
                Err(refusal) => return Ok(Redeemed::Refused(refusal)),
            };
            let (made_by, login, disabled): (String, String, Option<DateTime<Utc>>) = match &found {
                Some(r) => (r.get(3)?, r.get(4)?, r.get(5)?),
                None => return Ok(Redeemed::Refused(Refusal::Unknown)),
            };
            let owner: Option<UserId> = tx
                .opt(
                    "SELECT user_id FROM devices WHERE id = $1 AND revoked_at IS NULL",
                    params![device],
                )
                .await?
                .map(|r| r.get(0))
                .transpose()?;
            if let Err(refusal) = enrollment::may_enroll(user, disabled.is_some(), owner) {
                return Ok(Redeemed::Refused(refusal));
            }
            let marked = tx
                .execute(
                    "UPDATE enrollment_codes SET used_at = $2, device_id = $3
                      WHERE code_sha256 = $1 AND used_at IS NULL",
                    params![&code, act.at, device],
                )
                .await?;
            if marked == 0 {
                return Ok(Redeemed::Refused(Refusal::Used(act.at)));
            }
            let replaced = tx
                .query(
                    "SELECT id, queue_reports, last_seen FROM devices
                      WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL
                        AND queue_reports > 0
                      ORDER BY enrolled_at, id",
                    params![user, device],
                )
                .await?
                .iter()
                .map(|r| {
                    Ok(Replaced {
                        device: r.get(0)?,
                        reports: r.get(1)?,
                        last_seen: r.get(2)?,
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            tx.execute(
                "INSERT INTO devices (id, user_id, token_sha256, enrolled_at, public_key,
                                      key_bound_at)
                 VALUES ($1, $2, $3, $4, $5, $4)
                 ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id,
                    token_sha256 = excluded.token_sha256, enrolled_at = excluded.enrolled_at,
                    revoked_at = NULL, public_key = excluded.public_key,
                    key_bound_at = excluded.key_bound_at",
                params![device, user, token, act.at, key],
            )
            .await?;
            act.actor = made_by;
            act.detail = Some(enrollment::detail(&login, &replaced));
            append_act(tx, &act).await?;
            Ok(Redeemed::Enrolled { user, replaced })
        })
    }

    async fn device_by_token(&self, token_sha256: &str) -> StoreResult<Option<Device>> {
        let token = token_sha256.to_owned();
        tx!(self, Mode::Read, |tx| {
            let Some(row) = tx
                .opt(
                    "SELECT d.id, d.user_id, u.role FROM devices d JOIN users u ON u.id = d.user_id
                      WHERE d.token_sha256 = $1 AND d.revoked_at IS NULL
                        AND u.disabled_at IS NULL",
                    params![token],
                )
                .await?
            else {
                return Ok(None);
            };
            Ok(Some(Device {
                id: row.get(0)?,
                user: row.get(1)?,
                role: tagged(&row, 2)?,
            }))
        })
    }

    async fn device_key(&self, device: DeviceId) -> StoreResult<Option<String>> {
        tx!(self, Mode::Read, |tx| { public_key_of(tx, device).await })
    }

    async fn bind_device_key(
        &self,
        device: DeviceId,
        key: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<String>> {
        let key = key.to_owned();
        tx!(self, Mode::Write, |tx| {
            tx.execute(
                "UPDATE devices SET public_key = $2, key_bound_at = $3
                  WHERE id = $1 AND public_key IS NULL",
                params![device, key, at],
            )
            .await?;
            public_key_of(tx, device).await
        })
    }

    async fn last_applied(&self, device: DeviceId) -> StoreResult<MutationId> {
        tx!(self, Mode::Read, |tx| {
            tx.opt(
                "SELECT last_applied FROM devices WHERE id = $1",
                params![device],
            )
            .await?
            .ok_or_else(|| StoreError::NotFound(msg!(NO_DEVICE, device = device)))?
            .get(0)
        })
    }

    async fn revoke_device(&self, device: DeviceId, at: DateTime<Utc>) -> StoreResult<bool> {
        tx!(self, Mode::Write, |tx| {
            let n = tx
                .execute(
                    "UPDATE devices SET revoked_at = $2 WHERE id = $1",
                    params![device, at],
                )
                .await?;
            Ok(n > 0)
        })
    }

    async fn disable_user(&self, user: UserId, at: DateTime<Utc>) -> StoreResult<bool> {
        tx!(self, Mode::Write, |tx| {
            let n = tx
                .execute(
                    "UPDATE users SET disabled_at = $2 WHERE id = $1",
                    params![user, at],
                )
                .await?;
            tx.execute(
                "DELETE FROM console_sessions WHERE user_id = $1",
                params![user],
            )
            .await?;
            Ok(n > 0)
        })
    }

    async fn enable_user(&self, user: UserId) -> StoreResult<bool> {
        tx!(self, Mode::Write, |tx| {
            let n = tx
                .execute(
                    "UPDATE users SET disabled_at = NULL WHERE id = $1",
                    params![user],
                )
                .await?;
            Ok(n > 0)
        })
    }

    async fn users(&self) -> StoreResult<Vec<(User, Option<DateTime<Utc>>)>> {
        tx!(self, Mode::Read, |tx| {
            tx.query(
                &format!("SELECT {USER_COLUMNS}, u.disabled_at FROM users u ORDER BY u.login"),
                vec![],
            )
            .await?
            .iter()
            .map(|r| Ok((user(r)?, r.get(10)?)))
            .collect()
        })
    }

    async fn service_accounts(
        &self,
        source: gridwalk_protocol::intake::Source,
    ) -> StoreResult<Vec<(User, Option<DateTime<Utc>>)>> {
        tx!(self, Mode::Read, |tx| {
            tx.query(
                &format!(
                    "SELECT {USER_COLUMNS}, u.disabled_at FROM users u
                      WHERE u.role = 'service' AND u.source = $1 ORDER BY u.login"
                ),
                params![source.as_str()],
            )
            .await?
            .iter()
            .map(|r| Ok((user(r)?, r.get(10)?)))
            .collect()
        })
    }

    async fn devices(&self) -> StoreResult<Vec<DeviceEntry>> {
        tx!(self, Mode::Read, |tx| {
            tx.query(
                "SELECT d.id, u.login, d.enrolled_at, d.last_seen, d.revoked_at, d.model
                   FROM devices d JOIN users u ON u.id = d.user_id
                  ORDER BY u.login, d.enrolled_at",
                vec![],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(DeviceEntry {
                    id: r.get(0)?,
                    login: r.get(1)?,
                    enrolled_at: r.get(2)?,
                    last_seen: r.get(3)?,
                    revoked_at: r.get(4)?,
                    model: r.get(5)?,
                })
            })
            .collect()
        })
    }

    async fn record_admin_act(&self, act: &AdminAct) -> StoreResult<()> {
        let act = act.clone();
        tx!(self, Mode::Write, |tx| { append_act(tx, &act).await })
    }

    async fn admin_acts(&self, limit: u32) -> StoreResult<Vec<AdminAct>> {
        tx!(self, Mode::Read, |tx| {
            tx.query(
                "SELECT id, at, actor, action, subject, detail FROM admin_acts
                  ORDER BY at DESC, id DESC LIMIT $1",
                params![limit],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(AdminAct {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    subject: r.get(4)?,
                    detail: r.get(5)?,
                })
            })
            .collect()
        })
    }
}

#[async_trait]
impl<D: Database> SessionStore for D {
    async fn set_password(&self, user: UserId, hash: Option<&str>) -> StoreResult<()> {
        let hash = hash.map(str::to_owned);
        tx!(self, Mode::Write, |tx| {
            let n = tx
                .execute(
                    "UPDATE users SET password_hash = $2 WHERE id = $1",
                    params![user, hash],
                )
                .await?;
            if n == 0 {
                return Err(StoreError::NotFound(msg!(NO_USER, user = user)));
            }
            // A new password ends every session the old one opened.
            tx.execute(
                "DELETE FROM console_sessions WHERE user_id = $1",
                params![user],
            )
            .await?;
            Ok(())
        })
    }

    async fn password_hash(&self, login: &str) -> StoreResult<Option<(User, Option<String>)>> {
        let login = login.to_owned();
        tx!(self, Mode::Read, |tx| {
            let Some(row) = tx
                .opt(
                    &format!(
                        "SELECT {USER_COLUMNS}, u.password_hash FROM users u
                          WHERE u.login = $1 AND u.disabled_at IS NULL"
                    ),
                    params![login],
                )
                .await?
            else {
                return Ok(None);
            };
            Ok(Some((user(&row)?, row.get(10)?)))
        })
    }

    async fn create_session(
        &self,
        token_sha256: &str,
        user: UserId,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let token = token_sha256.to_owned();
        tx!(self, Mode::Write, |tx| {
            tx.execute(
                "DELETE FROM console_sessions WHERE expires_at <= $1",
                params![at],
            )
            .await?;
            tx.execute(
                "INSERT INTO console_sessions (token_sha256, user_id, created_at, expires_at,
                                               last_used)
                 VALUES ($1, $2, $3, $4, $3)",
                params![token, user, at, expires_at],
            )
            .await?;
            Ok(())
        })
    }

    async fn session_user(
        &self,
        token_sha256: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(User, DateTime<Utc>)>> {
        let token = token_sha256.to_owned();
        tx!(self, Mode::Read, |tx| {
            tx.opt(
                &format!(
                    "SELECT {USER_COLUMNS}, s.last_used
                       FROM console_sessions s JOIN users u ON u.id = s.user_id
                      WHERE s.token_sha256 = $1 AND s.expires_at > $2
                        AND u.disabled_at IS NULL"
                ),
                params![token, now],
            )
            .await?
            .as_ref()
            .map(|r| Ok((user(r)?, r.get(10)?)))
            .transpose()
        })
    }

    async fn touch_session(&self, token_sha256: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let token = token_sha256.to_owned();
        tx!(self, Mode::Write, |tx| {
            tx.execute(
                "UPDATE console_sessions SET last_used = $2 WHERE token_sha256 = $1",
                params![token, at],
            )
            .await?;
            Ok(())
        })
    }

    async fn record_sign_in(
        &self,
        login: &str,
        address: &str,
        ok: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (login, address) = (login.to_owned(), address.to_owned());
        tx!(self, Mode::Write, |tx| {
            tx.execute(
                "INSERT INTO sign_ins (login, address, at, ok) VALUES ($1, $2, $3, $4)",
                params![login, address, at, ok],
            )
            .await?;
            Ok(())
        })
    }

    async fn sign_in_failures(
        &self,
        login: &str,
        address: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<(u64, u64)> {
        // Wrong enrollment codes (recorded under their own key) and wrong passwords are
        // counted apart by address: behind one proxy, a run of junk codes must not lock
        // every console user out, nor failed sign-ins stop tablets enrolling.
        let codes = i64::from(login == enrollment::THROTTLE_KEY);
        let (login, address) = (login.to_owned(), address.to_owned());
        tx!(self, Mode::Read, |tx| {
            let row = tx
                .one(
                    "SELECT
                       (SELECT COUNT(*) FROM sign_ins WHERE login = $1 AND at > $3 AND NOT ok),
                       (SELECT COUNT(*) FROM sign_ins WHERE address = $2 AND at > $3 AND NOT ok
                           AND (CASE WHEN login = $4 THEN 1 ELSE 0 END) = $5)",
                    params![login, address, since, enrollment::THROTTLE_KEY, codes],
                )
                .await?;
            Ok((row.get(0)?, row.get(1)?))
        })
    }

    async fn end_session(&self, token_sha256: &str) -> StoreResult<()> {
        let token = token_sha256.to_owned();
        tx!(self, Mode::Write, |tx| {
            tx.execute(
                "DELETE FROM console_sessions WHERE token_sha256 = $1",
                params![token],
            )
            .await?;
            Ok(())
        })
    }
}

/// The public key bound to `device`, if any.
async fn public_key_of(tx: &mut dyn Sql, device: DeviceId) -> StoreResult<Option<String>> {
    match tx
        .opt(
            "SELECT public_key FROM devices WHERE id = $1",
            params![device],
        )
        .await?
    {
        Some(row) => row.get(0),
        None => Ok(None),
    }
}
