-- 丧葬补助金核查: duplicate or improper funeral subsidies.
CREATE TABLE IF NOT EXISTS duplicate_funeral_benefits (
    citizen_id        VARCHAR,
    pension_no        VARCHAR,
    name              VARCHAR,
    kind              VARCHAR,
    payments          STRUCT(scheme VARCHAR, paid_date DATE, amount DECIMAL(12, 2))[],
    amount_to_recover DECIMAL(12, 2),
    run_id            VARCHAR
);
COMMENT ON TABLE duplicate_funeral_benefits IS '丧葬补助金核查：重复领取或不应发放的丧葬补助金';
COMMENT ON COLUMN duplicate_funeral_benefits.citizen_id IS '公民身份号码';
COMMENT ON COLUMN duplicate_funeral_benefits.pension_no IS '个人编号（城乡居保）';
COMMENT ON COLUMN duplicate_funeral_benefits.name IS '姓名';
COMMENT ON COLUMN duplicate_funeral_benefits.kind IS '问题类型：duplicate_resident 重复发放 / duplicate_other_scheme 与职工丧葬补助或抚恤金重复 / ineligible_suspended 死亡前已停发 / ineligible_custody 死亡时服刑';
COMMENT ON COLUMN duplicate_funeral_benefits.payments IS '涉及的发放记录（险种、发放日期、金额）';
COMMENT ON COLUMN duplicate_funeral_benefits.amount_to_recover IS '应追回金额（元）';
COMMENT ON COLUMN duplicate_funeral_benefits.run_id IS '批次号';
-- Added after the first release: the area, so each township's report carries its cases.
ALTER TABLE duplicate_funeral_benefits ADD COLUMN IF NOT EXISTS township VARCHAR;
ALTER TABLE duplicate_funeral_benefits ADD COLUMN IF NOT EXISTS village VARCHAR;
COMMENT ON COLUMN duplicate_funeral_benefits.township IS '乡镇街道（参保登记，缺失时取户籍）';
COMMENT ON COLUMN duplicate_funeral_benefits.village IS '村社区（参保登记，缺失时取户籍）';
-- Added for issue 13: a finding that depends on a status history that contradicts itself
-- is not asserted; it is listed for review with its reason and nothing to recover.
ALTER TABLE duplicate_funeral_benefits ADD COLUMN IF NOT EXISTS decision VARCHAR;
ALTER TABLE duplicate_funeral_benefits ADD COLUMN IF NOT EXISTS reason VARCHAR;
COMMENT ON COLUMN duplicate_funeral_benefits.decision IS '处理意见：confirmed 确认追回 / review 人工核实（死亡时参保状态无法确定，暂不追回，应追回金额为0）';
COMMENT ON COLUMN duplicate_funeral_benefits.reason IS '需核实原因（如变更记录前后矛盾）';
