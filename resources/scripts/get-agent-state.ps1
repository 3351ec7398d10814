# Twinlock remote script: get-agent-state
# Version: 2
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
    # The agent contract: "version --input -" with "{}" on stdin. A Process with redirected pipes,
    # as invoke-twinlockctl does, so that native stderr never becomes a PowerShell error record
    # and the answer is decoded as UTF-8 whatever the console's code page.
    $utf8 = [System.Text.UTF8Encoding]::new($false)
    $start = New-Object System.Diagnostics.ProcessStartInfo
    $start.FileName = $P.ctlPath
    $start.Arguments = 'version --input -'
    $start.UseShellExecute = $false
    $start.CreateNoWindow = $true
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.StandardOutputEncoding = $utf8
    $start.StandardErrorEncoding = $utf8
    $process = [System.Diagnostics.Process]::Start($start)
    $stdoutRead = $process.StandardOutput.ReadToEndAsync()
    $stderrRead = $process.StandardError.ReadToEndAsync()
    $bytes = $utf8.GetBytes('{}')
    try {
        $process.StandardInput.BaseStream.Write($bytes, 0, $bytes.Length)
        $process.StandardInput.Close()
    } catch [System.IO.IOException] {
        # twinlockctl exited without reading its input: its exit code and answer say why.
    }
    $process.WaitForExit()
    $text = $stdoutRead.Result
    $null = $stderrRead.Result
    $exitCode = $process.ExitCode
    $process.Dispose()
    if ($exitCode -eq 0) {
        try { $ctl = $text | ConvertFrom-Json } catch { $ctlError = $text }
    } else {
        $ctlError = $text
    }
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
