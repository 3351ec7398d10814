# Twinlock remote script: fix-open-firewall-ports
# Version: 1
# Purpose: Allows the agent's inbound TCP ports in Windows Defender Firewall, one rule per port in the agent's group.
param($P)

$group = [string]$P.group
$opened = @()
foreach ($port in @($P.ports)) {
    $number = [int]$port
    if ($number -lt 1 -or $number -gt 65535) {
        throw "Port $port is not a TCP port number."
    }
    $name = 'TwinlockAgent-TCP-' + $number + '-In'
    # Re-running the fix replaces the rule instead of stacking duplicates.
    Get-NetFirewallRule -Name $name -ErrorAction SilentlyContinue | Remove-NetFirewallRule
    New-NetFirewallRule -Name $name -DisplayName ('Twinlock Agent (TCP ' + $number + ')') -Group $group `
        -Direction Inbound -Action Allow -Protocol TCP -LocalPort $number -Profile Any -ErrorAction Stop | Out-Null
    $opened += $number
}

[pscustomobject]@{
    group  = $group
    opened = $opened
    count  = $opened.Count
}
