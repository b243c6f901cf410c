-- 重复参保: active on the residents' roster and on the employee roster at once.
CREATE TABLE IF NOT EXISTS duplicate_enrollment (
    citizen_id      VARCHAR,
    pension_no      VARCHAR,
    name            VARCHAR,
    resident_status VARCHAR,
    employee_status VARCHAR,
    action          VARCHAR,
    run_id          VARCHAR
);
COMMENT ON TABLE duplicate_enrollment IS '重复参保：同时参加城乡居保（有效状态）和企业职工养老保险';
COMMENT ON COLUMN duplicate_enrollment.citizen_id IS '公民身份号码';
COMMENT ON COLUMN duplicate_enrollment.pension_no IS '个人编号（城乡居保）';
COMMENT ON COLUMN duplicate_enrollment.name IS '姓名';
COMMENT ON COLUMN duplicate_enrollment.resident_status IS '城乡居保参保状态';
COMMENT ON COLUMN duplicate_enrollment.employee_status IS '职工养老保险参保状态（在职/退休）';
COMMENT ON COLUMN duplicate_enrollment.action IS '处理办法（按城乡养老保险制度衔接暂行办法）';
COMMENT ON COLUMN duplicate_enrollment.run_id IS '批次号';
