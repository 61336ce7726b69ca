-- Two more roles: a department's clerk (处置部门), who works the cases dispatched to their
-- department, and an administrator, who manages people and devices. A clerk carries the
-- code of their department. SQLite changes a CHECK constraint only by rebuilding the table
-- (migrations run with foreign keys off; every column users has by now is copied).
CREATE TABLE users_new (
    id              TEXT PRIMARY KEY,
    login           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('inspector', 'leader', 'operator',
                                                  'department', 'administrator')),
    team            TEXT,
    cells           TEXT NOT NULL DEFAULT '[]',
    badge           TEXT,
    camera_serial   TEXT,
    password_hash   TEXT,
    disabled_at     TEXT,
    department      TEXT
);
INSERT INTO users_new (id, login, name, role, team, cells, badge, camera_serial,
                       password_hash, disabled_at)
    SELECT id, login, name, role, team, cells, badge, camera_serial, password_hash, disabled_at
      FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
