-- 案件: one person's finding of one kind, from the night it is first found until it is
-- closed (issue 16). The case store (案件库) is the truth; this is the night's copy.
CREATE TABLE IF NOT EXISTS cases (
    case_id          VARCHAR,
    kind             VARCHAR,
    citizen_id       VARCHAR,
    name             VARCHAR,
    township         VARCHAR,
    village          VARCHAR,
    state            VARCHAR,
    opened_run       VARCHAR,
    last_seen_run    VARCHAR,
    closed_run       VARCHAR,
    close_reason     VARCHAR,
    nights_open      INTEGER,
    new_tonight      BOOLEAN,
    next_step        VARCHAR,
    notice_date      DATE,
    objection_until  DATE,
    amount_due       DECIMAL(12, 2),
    amount_recovered DECIMAL(12, 2),
    balance          DECIMAL(12, 2),
    balance_since    DATE,
    outcome          VARCHAR,
    run_id           VARCHAR
);
COMMENT ON TABLE cases IS '案件：同一人同一类核查事项，自首次发现至办结，案件编号不变';
COMMENT ON COLUMN cases.case_id IS '案件编号（D死亡、R追回、U应保未保、S丧葬补助金申领、A缴费资金垫付 + 序号）';
COMMENT ON COLUMN cases.kind IS '案件类别：death 死亡、recovery 追回、uninsured 应保未保、subsidy 丧葬补助金申领、advance 缴费资金垫付';
COMMENT ON COLUMN cases.citizen_id IS '公民身份号码';
COMMENT ON COLUMN cases.name IS '姓名';
COMMENT ON COLUMN cases.township IS '乡镇街道';
COMMENT ON COLUMN cases.village IS '村社区';
COMMENT ON COLUMN cases.state IS '案件状态（closed 已办结）';
COMMENT ON COLUMN cases.opened_run IS '立案批次';
COMMENT ON COLUMN cases.last_seen_run IS '最近一次仍有依据的批次';
COMMENT ON COLUMN cases.closed_run IS '办结批次';
COMMENT ON COLUMN cases.close_reason IS '办结原因：alive 核实在世、deregistered 已注销、evidence_gone 依据消失、enrolled 已参保、covered_elsewhere 已在外地参保、recovered 已追回、written_off 已核销、repaid 垫付已还清';
COMMENT ON COLUMN cases.nights_open IS '在办批次数';
COMMENT ON COLUMN cases.new_tonight IS '本批新立案';
COMMENT ON COLUMN cases.next_step IS '下一步';
COMMENT ON COLUMN cases.notice_date IS '告知日期';
COMMENT ON COLUMN cases.objection_until IS '异议期截止日期';
COMMENT ON COLUMN cases.amount_due IS '应追回金额（元）；丧葬补助金申领为补助金额，垫付为垫付金额';
COMMENT ON COLUMN cases.amount_recovered IS '已追回金额（元）；垫付为已扣回及提前还款金额';
COMMENT ON COLUMN cases.balance IS '未追回余额（元）；垫付为垫付余额';
COMMENT ON COLUMN cases.balance_since IS '余额起算日期（最近一次追回；垫付为垫付资金到账日期）';
COMMENT ON COLUMN cases.outcome IS '走访结果';
COMMENT ON COLUMN cases.run_id IS '批次';
ALTER TABLE cases ADD COLUMN IF NOT EXISTS months_repaid INTEGER;
ALTER TABLE cases ADD COLUMN IF NOT EXISTS months_left INTEGER;
ALTER TABLE cases ADD COLUMN IF NOT EXISTS months_flagged INTEGER;
ALTER TABLE cases ADD COLUMN IF NOT EXISTS flagged_months VARCHAR;
COMMENT ON COLUMN cases.months_repaid IS '垫付：已扣回月数（养老金全额扣回的月份）';
COMMENT ON COLUMN cases.months_left IS '垫付：尚需扣回月数（按本批月养老金估算）';
COMMENT ON COLUMN cases.months_flagged IS '垫付：异常月份数（欠款未清却全额发放，或还清后仍扣发）';
COMMENT ON COLUMN cases.flagged_months IS '垫付：异常月份（YYYY-MM，逗号分隔）';
