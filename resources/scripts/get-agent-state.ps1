# Twinlock remote script: get-agent-state
# Version: 1
# Purpose: Reports the installed agent product, its service, its firewall rules and twinlockctl's version.
param($P)

$keys = @(
    'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*',
    'HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*')
$entry = Get-ItemProperty -Path $keys -ErrorAction SilentlyContinue |
    # Some Uninstall keys (AddressBook, updates) have no DisplayName at all.
    Where-Object { $_.PSObject.Properties['DisplayName'] -and $_.DisplayName -eq $P.productName } |
    Select-Object -First 1
$product = $null
if ($entry) {
    $product = [pscustomobject]@{
        name        = $entry.DisplayName
        version     = $entry.DisplayVersion
        productCode = $entry.PSChildName
        publisher   = $entry.Publisher
        installDate = $entry.InstallDate
    }
}

$service = $null
$svc = Get-Service -Name $P.service -ErrorAction SilentlyContinue
if ($svc) {
    $service = [pscustomobject]@{
        name      = $svc.Name
        status    = [string]$svc.Status
        startType = [string]$svc.StartType
    }
}

$rules = @(Get-NetFirewallRule -Group $P.firewallGroup -ErrorAction SilentlyContinue | ForEach-Object {
    $filter = $_ | Get-NetFirewallPortFilter
    [pscustomobject]@{
        name        = $_.Name
        displayName = $_.DisplayName
        enabled     = ([string]$_.Enabled -eq 'True')
        direction   = [string]$_.Direction
        action      = [string]$_.Action
        protocol    = [string]$filter.Protocol
        localPorts  = @($filter.LocalPort | ForEach-Object { [string]$_ })
    }
})

$ctl = $null
$ctlError = $null
if (Test-Path -LiteralPath $P.ctlPath -PathType Leaf) {
    # Native stderr under ErrorActionPreference Stop would throw in Windows PowerShell 5.1.
    $ErrorActionPreference = 'Continue'
    $text = (& $P.ctlPath version --json 2>$null) -join "`n"
    if ($LASTEXITCODE -eq 0) {
        try { $ctl = $text | ConvertFrom-Json } catch { $ctlError = $text }
    } else {
        $ctlError = $text
    }
    $ErrorActionPreference = 'Stop'
}

# A restart Windows is waiting for (msiexec's 3010 leaves file renames pending, updates leave CBS keys).
$sessionManager = Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager' -ErrorAction SilentlyContinue
$rebootPending = (Test-Path -Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending') -or
    (Test-Path -Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired') -or
    (($null -ne $sessionManager) -and ($null -ne $sessionManager.PSObject.Properties['PendingFileRenameOperations']))

[pscustomobject]@{
    product       = $product
    service       = $service
    firewallRules = $rules
    ctl           = $ctl
    ctlError      = $ctlError
    rebootPending = $rebootPending
}
