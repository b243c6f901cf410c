"""Cases (案件): work that lasts across nights, from the night a finding is first found
until it is closed (issue 16). Layer: findings → cases → warehouse → reports → flows."""
