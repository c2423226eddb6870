"""Sigma logsource → which Windows events a rule may look at (Channel and EventID).

A table, not code: ``category`` gives Sysmon event IDs (and the Security equivalent where one
exists), ``service`` gives the channel. An unknown Windows service or category puts no
restriction on the rule: dispatch must never silently drop events a rule was written for;
the detection still decides. Rules for other products never see events carrying a Windows
``Channel``.
"""

from __future__ import annotations

from dataclasses import dataclass

SYSMON = "microsoft-windows-sysmon/operational"
SECURITY = "security"
PS_CORE = "powershell core/operational"
PS_OPERATIONAL = "microsoft-windows-powershell/operational"
PS_CLASSIC = "windows powershell"

# category → ((channel, event IDs), …); an empty ID set means any event of that channel.
CATEGORIES: dict[str, tuple[tuple[str, frozenset[int]], ...]] = {
    "process_creation": ((SYSMON, frozenset({1})), (SECURITY, frozenset({4688}))),
    "file_change": ((SYSMON, frozenset({2})),),
    "network_connection": ((SYSMON, frozenset({3})), (SECURITY, frozenset({5156}))),
    "sysmon_status": ((SYSMON, frozenset({4, 16})),),
    "process_termination": ((SYSMON, frozenset({5})), (SECURITY, frozenset({4689}))),
    "driver_load": ((SYSMON, frozenset({6})),),
    "image_load": ((SYSMON, frozenset({7})),),
    "create_remote_thread": ((SYSMON, frozenset({8})),),
    "raw_access_thread": ((SYSMON, frozenset({9})),),
    "process_access": ((SYSMON, frozenset({10})),),
    "file_event": ((SYSMON, frozenset({11})),),
    "registry_add": ((SYSMON, frozenset({12})),),
    "registry_delete": ((SYSMON, frozenset({12})),),
    "registry_set": ((SYSMON, frozenset({13})),),
    "registry_rename": ((SYSMON, frozenset({14})),),
    "registry_event": ((SYSMON, frozenset({12, 13, 14})), (SECURITY, frozenset({4657}))),
    "create_stream_hash": ((SYSMON, frozenset({15})),),
    "pipe_created": ((SYSMON, frozenset({17, 18})),),
    "wmi_event": ((SYSMON, frozenset({19, 20, 21})),),
    "dns_query": ((SYSMON, frozenset({22})), ("microsoft-windows-dns-client/operational", frozenset({3008}))),
    "file_delete": ((SYSMON, frozenset({23, 26})),),
    "clipboard_change": ((SYSMON, frozenset({24})),),
    "process_tampering": ((SYSMON, frozenset({25})),),
    "file_delete_detected": ((SYSMON, frozenset({26})),),
    "file_block_executable": ((SYSMON, frozenset({27})),),
    "file_block_shredding": ((SYSMON, frozenset({28})),),
    "file_executable_detected": ((SYSMON, frozenset({29})),),
    "sysmon_error": ((SYSMON, frozenset({255})),),
    "file_access": (("microsoft-windows-kernel-file/analytic", frozenset()),),
    "file_rename": (("microsoft-windows-kernel-file/analytic", frozenset()),),
    "ps_module": ((PS_OPERATIONAL, frozenset({4103})), (PS_CORE, frozenset({4103}))),
    "ps_script": ((PS_OPERATIONAL, frozenset({4104})), (PS_CORE, frozenset({4104}))),
    "ps_classic_start": ((PS_CLASSIC, frozenset({400})),),
    "ps_classic_provider_start": ((PS_CLASSIC, frozenset({600})),),
    "ps_classic_script": ((PS_CLASSIC, frozenset({800})),),
}

# Security auditing's 4688 carries the facts of Sysmon's process creation under other names; process_creation
# rules are written with Sysmon's, so 4688 events are matched under both (events.prepare). pySigma's
# windows_audit_pipeline renames Image and ParentImage (CommandLine is CommandLine in both); SigmaHQ's rules
# list MandatoryLabel's SIDs (S-1-16-12288) among their IntegrityLevel values. User, LogonId and the process
# IDs need more than a rename (events._add_process_creation_names). Lower-cased: PreparedEvent's keys are.
PROCESS_CREATION_EVENT_IDS = (4688, "4688")
PROCESS_CREATION_FROM_4688: tuple[tuple[str, str], ...] = (
    ("image", "newprocessname"),
    ("parentimage", "parentprocessname"),
    ("integritylevel", "mandatorylabel"),
)
# 4688 names the local system accounts after the machine (THESHIRE\WS5$) where Sysmon's User says NT AUTHORITY.
WELL_KNOWN_ACCOUNTS = {
    "s-1-5-18": "NT AUTHORITY\\SYSTEM",
    "s-1-5-19": "NT AUTHORITY\\LOCAL SERVICE",
    "s-1-5-20": "NT AUTHORITY\\NETWORK SERVICE",
}
# The service accounts' fixed logon session IDs (winnt.h SYSTEM_LUID, NETWORKSERVICE_LUID, LOCALSERVICE_LUID):
# a 4688 Target account can carry the machine's name with the logon session of NETWORK SERVICE.
WELL_KNOWN_LOGONS = {
    "0x3e7": "NT AUTHORITY\\SYSTEM",
    "0x3e4": "NT AUTHORITY\\NETWORK SERVICE",
    "0x3e5": "NT AUTHORITY\\LOCAL SERVICE",
}

# service → channels (lower-cased, as Windows spells them).
SERVICES: dict[str, tuple[str, ...]] = {
    "security": (SECURITY,),
    "system": ("system",),
    "application": ("application",),
    "sysmon": (SYSMON,),
    "powershell": (PS_OPERATIONAL, PS_CORE),
    "powershell-classic": (PS_CLASSIC,),
    "taskscheduler": ("microsoft-windows-taskscheduler/operational",),
    "wmi": ("microsoft-windows-wmi-activity/operational",),
    "windefend": ("microsoft-windows-windows defender/operational",),
    "dns-server": ("dns server",),
    "dns-server-analytic": ("microsoft-windows-dns-server/analytical",),
    "dns-client": ("microsoft-windows-dns client events/operational", "microsoft-windows-dns-client/operational"),
    "driver-framework": ("microsoft-windows-driverframeworks-usermode/operational",),
    "firewall-as": ("microsoft-windows-windows firewall with advanced security/firewall",),
    "bits-client": ("microsoft-windows-bits-client/operational",),
    "codeintegrity-operational": ("microsoft-windows-codeintegrity/operational",),
    "applocker": (
        "microsoft-windows-applocker/msi and script",
        "microsoft-windows-applocker/exe and dll",
        "microsoft-windows-applocker/packaged app-deployment",
        "microsoft-windows-applocker/packaged app-execution",
    ),
    "msexchange-management": ("msexchange management",),
    "printservice-admin": ("microsoft-windows-printservice/admin",),
    "printservice-operational": ("microsoft-windows-printservice/operational",),
    "smbclient-security": ("microsoft-windows-smbclient/security",),
    "smbclient-connectivity": ("microsoft-windows-smbclient/connectivity",),
    "terminalservices-localsessionmanager": ("microsoft-windows-terminalservices-localsessionmanager/operational",),
    "ntlm": ("microsoft-windows-ntlm/operational",),
    "dhcp": ("microsoft-windows-dhcp-server/operational",),
    "openssh": ("openssh/operational",),
    "ldap": ("microsoft-windows-ldap-client/debug",),
    "lsa-server": ("microsoft-windows-lsa/operational",),
    "appxdeployment-server": ("microsoft-windows-appxdeploymentserver/operational",),
    "appxpackaging-om": ("microsoft-windows-appxpackaging/operational",),
    "appmodel-runtime": ("microsoft-windows-appmodel-runtime/admin",),
    "shell-core": ("microsoft-windows-shell-core/operational",),
    "diagnosis-scripted": ("microsoft-windows-diagnosis-scripted/operational",),
    "capi2": ("microsoft-windows-capi2/operational",),
    "certificateservicesclient-lifecycle-system": (
        "microsoft-windows-certificateservicesclient-lifecycle-system/operational",
    ),
    "bitlocker": ("microsoft-windows-bitlocker/bitlocker management",),
    "vhdmp": ("microsoft-windows-vhdmp/operational",),
    "hyper-v-worker": ("microsoft-windows-hyper-v-worker-admin",),
    "kernel-shimengine": ("microsoft-windows-kernel-shimengine/operational",),
    "security-mitigations": (
        "microsoft-windows-security-mitigations/kernel mode",
        "microsoft-windows-security-mitigations/user mode",
    ),
    "application-experience": (
        "microsoft-windows-application-experience/program-telemetry",
        "microsoft-windows-application-experience/program-compatibility-assistant",
    ),
    "microsoft-servicebus-client": ("microsoft-servicebus-client",),
    "iis-configuration": ("microsoft-iis-configuration/operational",),
    "sense": ("microsoft-windows-sense/operational",),
}


@dataclass(frozen=True, slots=True)
class LogsourceFilter:
    """Which events a rule may see. ``channels`` is None for "no restriction";
    ``event_ids[channel]`` empty means every event of that channel."""

    channels: frozenset[str] | None
    event_ids: dict[str, frozenset[int]]
    windows: bool

    def accepts(self, channel: str | None, event_id: int | None) -> bool:
        """Slow path for a single event; the engine indexes ``channels`` instead."""
        if not self.windows:
            return channel is None
        if self.channels is None:
            return True
        if channel is None or channel not in self.channels:
            return False
        wanted = self.event_ids.get(channel)
        return not wanted or event_id in wanted


def logsource_filter(product: str | None, category: str | None, service: str | None) -> LogsourceFilter:
    """Build the filter for one rule's logsource."""
    product = (product or "").lower() or None
    windows = product in (None, "windows")
    if not windows:
        return LogsourceFilter(channels=None, event_ids={}, windows=False)
    if product is None and category not in CATEGORIES and service not in SERVICES:
        # Product-less, unknown logsource (e.g. a web proxy category): not a Windows channel.
        return LogsourceFilter(channels=None, event_ids={}, windows=category is None and service is None)
    event_ids: dict[str, frozenset[int]] = {}
    if category in CATEGORIES:
        for channel, ids in CATEGORIES[category]:
            event_ids[channel] = event_ids.get(channel, frozenset()) | ids
    if service in SERVICES:
        service_channels = SERVICES[service]
        if event_ids:
            # Both given: keep the category's IDs on channels the service names.
            event_ids = {c: ids for c, ids in event_ids.items() if c in service_channels} or {
                c: frozenset() for c in service_channels
            }
        else:
            event_ids = {c: frozenset() for c in service_channels}
    if not event_ids:
        return LogsourceFilter(channels=None, event_ids={}, windows=True)
    return LogsourceFilter(channels=frozenset(event_ids), event_ids=event_ids, windows=True)
