"""The demo SOC the generator draws from: its detection rules, severities, analysts, comments and working hours.

The data, and the two draws that use only it (when alerts fire, what analysts
write after triage); :mod:`trainer.feedback.demo` draws everything else with
the same seeded generator. docs/DATA.md lists the assumptions behind each value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEVERITIES = np.array(["low", "medium", "high", "critical"], dtype=object)
SEVERITY_LOGIT = np.array([-0.9, -0.2, 0.5, 1.1])
ANALYSTS = np.array(["alice", "bob", "carmen", "deepak", "eun-ji", "femi", "gustav", "hana"], dtype=object)

@dataclass(frozen=True)
class Rule:
    """One detection rule: where it fires, how often, and how often it is right."""

    name: str
    alert_type: str
    product: str
    logit: float               # base log-odds offset of a true positive
    volume: float              # relative alert volume
    severity: int              # index into SEVERITIES
    ports: tuple[tuple[str, int], ...]
    scanner: bool = False      # fired by internal vulnerability scanners: almost never real
    campaign: bool = False     # targeted by the attack campaign in the last third
    tuned: bool = False        # tuned half-way: less volume, fewer false positives


WEB = (("HTTPS", 443), ("HTTP", 80), ("HTTP", 8080))
RULES: tuple[Rule, ...] = (
    Rule("Suspicious PowerShell command line", "execution", "EDR", 0.6, 3.0, 2, (("TCP", 0),), campaign=True),
    Rule("Credential dumping (LSASS access)", "credential_access", "EDR", 1.4, 0.8, 3, (("TCP", 0),), campaign=True),
    Rule("Unsigned binary in temp folder", "execution", "EDR", -0.8, 4.0, 1, (("TCP", 0),)),
    Rule("Ransomware file-rename burst", "impact", "EDR", 1.8, 0.3, 3, (("SMB", 445),)),
    Rule("Office macro spawned shell", "execution", "EDR", 0.9, 1.0, 2, (("TCP", 0),), campaign=True),
    Rule("New service installed", "persistence", "EDR", -1.2, 3.5, 1, (("TCP", 0),)),
    Rule("Scheduled task created", "persistence", "EDR", -1.6, 3.0, 0, (("TCP", 0),)),
    Rule("Port scan detected", "discovery", "firewall", -2.0, 6.0, 1, (("TCP", 22), ("TCP", 3389), ("TCP", 445)), scanner=True),
    Rule("Denied inbound burst", "reconnaissance", "firewall", -1.8, 7.0, 0, (("TCP", 22), ("TCP", 3389), ("UDP", 161))),
    Rule("Outbound connection to newly registered domain", "command_and_control", "firewall", -1.0, 9.0, 1, WEB, tuned=True),
    Rule("Egress on non-standard port", "exfiltration", "firewall", -0.6, 2.5, 1, (("TCP", 4444), ("TCP", 8443), ("UDP", 53))),
    Rule("Large outbound transfer", "exfiltration", "firewall", -0.3, 1.5, 2, WEB, campaign=True),
    Rule("Geo-impossible VPN login", "initial_access", "firewall", 0.2, 1.2, 2, (("UDP", 1194), ("UDP", 500))),
    Rule("Vulnerability scanner signature", "discovery", "IDS", -3.0, 8.0, 1, WEB + (("TCP", 22),), scanner=True),
    Rule("SQL injection attempt", "initial_access", "IDS", -1.4, 4.0, 2, WEB),
    Rule("Exploit kit landing page", "initial_access", "IDS", 0.3, 1.0, 3, WEB),
    Rule("Beaconing to rare domain", "command_and_control", "IDS", 0.1, 2.0, 2, WEB + (("DNS", 53),), campaign=True),
    Rule("DNS tunnelling heuristics", "command_and_control", "IDS", -0.7, 1.5, 1, (("DNS", 53),)),
    Rule("SMB lateral movement", "lateral_movement", "IDS", 0.8, 0.8, 3, (("SMB", 445),), campaign=True),
    Rule("Brute-force SSH", "credential_access", "IDS", -1.1, 3.0, 1, (("SSH", 22),)),
    Rule("Phishing link clicked", "initial_access", "email gateway", 0.4, 2.0, 2, (("SMTP", 25), ("HTTPS", 443))),
    Rule("Malicious attachment detonated", "initial_access", "email gateway", 1.0, 0.7, 3, (("SMTP", 25),)),
    Rule("Spoofed sender domain", "initial_access", "email gateway", -1.3, 4.0, 0, (("SMTP", 25),)),
    Rule("Bulk mail spike", "reconnaissance", "email gateway", -2.6, 3.0, 0, (("SMTP", 25),)),
    Rule("Root account console login", "privilege_escalation", "cloud audit", 0.5, 0.6, 3, (("HTTPS", 443),)),
    Rule("IAM policy widened", "privilege_escalation", "cloud audit", -0.4, 1.8, 2, (("HTTPS", 443),), campaign=True),
    Rule("Storage bucket made public", "exfiltration", "cloud audit", -0.2, 1.0, 2, (("HTTPS", 443),)),
    Rule("Access key used from new ASN", "credential_access", "cloud audit", -0.9, 2.5, 1, (("HTTPS", 443),)),
    Rule("Security group opened to world", "defense_evasion", "cloud audit", -1.5, 2.0, 1, (("HTTPS", 443),)),
)

TP_COMMENTS = np.array([
    "Confirmed malicious activity; host isolated and escalated to incident response.",
    "True positive: matches the ongoing campaign IOCs, credentials reset, ticket opened with IR.",
    "Verified compromise. Blocked the indicator at the proxy and started forensic collection.",
    "Escalated: user confirmed they did not perform this action; account disabled pending review.",
    "Malicious. Payload detonated in sandbox, C2 confirmed, containment done.",
    "tp",
], dtype=object)  # object arrays hold pointers: fixed-width text would cost ~400 bytes a row
FP_COMMENTS = np.array([
    "FP", "benign", "known scanner", "expected admin activity", "false positive, noisy rule",
    "dup", "test traffic", "", "FP - whitelisted host", "user confirmed legitimate",
], dtype=object)
HOUR_WEIGHTS = np.array([1, 1, 1, 1, 1, 1, 2, 4, 7, 9, 9, 9, 8, 9, 9, 9, 8, 6, 4, 3, 2, 2, 1, 1], dtype=float)
NIGHT_WEIGHTS = np.array([3, 8, 9, 9, 8, 3] + [0.3] * 18, dtype=float)


def alert_hours(rng: np.random.Generator, scanner: np.ndarray) -> np.ndarray:
    """Hour of day: analysts' business hours for most alerts, the night for scheduled scans."""
    day_hours = rng.choice(24, size=len(scanner), p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    night_hours = rng.choice(24, size=len(scanner), p=NIGHT_WEIGHTS / NIGHT_WEIGHTS.sum())
    return np.where(scanner, night_hours, day_hours)


def post_triage(rng: np.random.Generator, label: np.ndarray) -> dict:
    """Columns written after triage; they leak the verdict and must never be features."""
    n = len(label)
    comment = np.where(label, TP_COMMENTS[rng.integers(0, len(TP_COMMENTS), n)],
                       FP_COMMENTS[rng.integers(0, len(FP_COMMENTS), n)])
    # Now and then a terse true positive or a chatty false positive.
    swap = rng.random(n) < 0.003
    comment = np.where(swap & label, FP_COMMENTS[rng.integers(0, len(FP_COMMENTS), n)], comment)
    comment = np.where(swap & ~label, TP_COMMENTS[rng.integers(0, len(TP_COMMENTS), n)], comment)
    confidence = np.where(label, rng.beta(9, 2, n), rng.beta(6, 2.5, n))
    return {
        "is_true_positive": label,
        "confidence": np.round(confidence, 2),
        "analyst_comments": comment,
        "analyst": ANALYSTS[rng.integers(0, len(ANALYSTS), n)],
    }
