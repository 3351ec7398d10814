# Twinlock remote script: test-witness
# Version: 1
# Purpose: Reaches the quorum witness from this server: a witness host on its TCP port, or a file share written, read back and cleaned up.
param($P)

$timeoutMs = [int]$P.timeoutMs
if ($timeoutMs -lt 100) { $timeoutMs = 3000 }

# Errors are classified by their .NET type and socket code, which read the same on every Windows
# language; the words the admin sees are the engine's.
function Get-WitnessError {
    param($Exception)
    $e = $Exception
    while ($e -is [System.Management.Automation.MethodInvocationException] -and $null -ne $e.InnerException) { $e = $e.InnerException }
    if ($e -is [System.Net.Sockets.SocketException]) {
        switch ([string]$e.SocketErrorCode) {
            'ConnectionRefused' { return @{ error = 'Refused'; message = '' } }
            'TimedOut' { return @{ error = 'TimedOut'; message = '' } }
            'HostNotFound' { return @{ error = 'NotFound'; message = '' } }
            'NoData' { return @{ error = 'NotFound'; message = '' } }
            'HostUnreachable' { return @{ error = 'Unreachable'; message = '' } }
            'NetworkUnreachable' { return @{ error = 'Unreachable'; message = '' } }
        }
    }
    if ($e -is [System.UnauthorizedAccessException]) { return @{ error = 'AccessDenied'; message = '' } }
    if ($e -is [System.IO.DirectoryNotFoundException]) { return @{ error = 'NotFound'; message = '' } }
    # 0x80070035 the network path was not found, 0x80070043 the network name cannot be found.
    if ($e -is [System.IO.IOException] -and ($e.HResult -eq -2147024843 -or $e.HResult -eq -2147024829)) { return @{ error = 'NotFound'; message = '' } }
    @{ error = 'Other'; message = [string]$e.Message }
}

$watch = [System.Diagnostics.Stopwatch]::StartNew()
$step = $null
$failure = $null
$bytes = 0
$port = $null

if ($P.kind -eq 'host') {
    $port = [int]$P.port
    $step = 'connect'
    $client = New-Object -TypeName System.Net.Sockets.TcpClient
    try {
        $pending = $client.BeginConnect([string]$P.address, $port, $null, $null)
        if ($pending.AsyncWaitHandle.WaitOne($timeoutMs)) {
            $client.EndConnect($pending)
            $step = $null
        } else {
            $failure = @{ error = 'TimedOut'; message = '' }
        }
    } catch {
        $failure = Get-WitnessError $_.Exception
    } finally {
        $client.Close()
    }
} else {
    # A probe file of its own (the engine's random id), so that two servers checking at once never meet.
    $path = [System.IO.Path]::Combine([string]$P.address, 'twinlock-witness-' + [string]$P.probeId + '.tmp')
    $content = [System.Text.Encoding]::UTF8.GetBytes('Twinlock witness check ' + [string]$P.probeId)
    try {
        $step = 'write'
        [System.IO.File]::WriteAllBytes($path, $content)
        $step = 'read'
        $back = [System.IO.File]::ReadAllBytes($path)
        $bytes = $back.Length
        $same = ($back.Length -eq $content.Length)
        if ($same) { for ($i = 0; $i -lt $back.Length; $i++) { if ($back[$i] -ne $content[$i]) { $same = $false; break } } }
        $step = 'delete'
        [System.IO.File]::Delete($path)
        if ($same) { $step = $null } else { $step = 'read'; $failure = @{ error = 'Mismatch'; message = '' } }
    } catch {
        $failure = Get-WitnessError $_.Exception
    }
}

[pscustomobject]@{
    kind    = [string]$P.kind
    address = [string]$P.address
    port    = $port
    reached = ($null -eq $failure)
    step    = $step
    error   = $(if ($null -eq $failure) { $null } else { $failure.error })
    message = $(if ($null -eq $failure) { '' } else { $failure.message })
    bytes   = $bytes
    rttMs   = [int]$watch.ElapsedMilliseconds
}
