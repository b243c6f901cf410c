-- 待注销人员: roster members still active for whom an agency reports a death.
CREATE TABLE IF NOT EXISTS deaths_to_deregister (
    citizen_id      VARCHAR,
    pension_no      VARCHAR,
    name            VARCHAR,
    township        VARCHAR,
    village         VARCHAR,
    roster_status   VARCHAR,
    death_date      DATE,
    evidence        VARCHAR[],
    decision        VARCHAR,
    reason          VARCHAR,
    status_at_death VARCHAR,
    overpaid_months INTEGER,
    overpaid_amount DECIMAL(12, 2),
    funeral_subsidy DECIMAL(12, 2),
    account_balance DECIMAL(12, 2),
    net_to_heirs    DECIMAL(12, 2),
    to_recover      DECIMAL(12, 2),
    run_id          VARCHAR
);
COMMENT ON TABLE deaths_to_deregister IS '待注销人员：城乡居保参保缴费、待遇领取或暂停人员中有部门报告死亡者，含多领待遇与丧葬补助金结算';
COMMENT ON COLUMN deaths_to_deregister.citizen_id IS '公民身份号码（18位，已规范化）';
COMMENT ON COLUMN deaths_to_deregister.pension_no IS '个人编号（城乡居保）';
COMMENT ON COLUMN deaths_to_deregister.name IS '姓名';
COMMENT ON COLUMN deaths_to_deregister.township IS '乡镇街道';
COMMENT ON COLUMN deaths_to_deregister.village IS '村社区';
COMMENT ON COLUMN deaths_to_deregister.roster_status IS '当前参保状态';
COMMENT ON COLUMN deaths_to_deregister.death_date IS '死亡日期（优先级：死亡医学证明、户籍、殡葬、医保）';
COMMENT ON COLUMN deaths_to_deregister.evidence IS '报告死亡的来源';
COMMENT ON COLUMN deaths_to_deregister.decision IS '结论：confirmed 确认注销 / review 人工复核';
COMMENT ON COLUMN deaths_to_deregister.reason IS '需复核的原因';
COMMENT ON COLUMN deaths_to_deregister.status_at_death IS '死亡时参保状态';
COMMENT ON COLUMN deaths_to_deregister.overpaid_months IS '死亡后多发待遇月数';
COMMENT ON COLUMN deaths_to_deregister.overpaid_amount IS '死亡后多发待遇金额（元）';
COMMENT ON COLUMN deaths_to_deregister.funeral_subsidy IS '应发丧葬补助金（元）';
COMMENT ON COLUMN deaths_to_deregister.account_balance IS '个人账户余额（元）';
COMMENT ON COLUMN deaths_to_deregister.net_to_heirs IS '抵扣后应支付给法定领取人（元）';
COMMENT ON COLUMN deaths_to_deregister.to_recover IS '抵扣后仍需追回（元）';
COMMENT ON COLUMN deaths_to_deregister.run_id IS '批次号';
-- Issue 13: a status history that contradicts itself gives the status 'unknown'.
COMMENT ON COLUMN deaths_to_deregister.status_at_death IS '死亡时参保状态（unknown：变更记录前后矛盾，无法确定）';
