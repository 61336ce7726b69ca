-- Two more roles: a department's clerk (处置部门), who works the cases dispatched to their
-- department, and an administrator, who manages people and devices. A clerk carries the
-- code of their department.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('inspector', 'leader', 'operator', 'department', 'administrator'));
ALTER TABLE users ADD COLUMN department TEXT;
