# Twinlock remote script: measure-link
# Version: 1
# Purpose: Measures one sync link with .NET sockets: listens on this server's link address (TCP and a UDP echo, allowed through the firewall for the measurement only), or sends UDP probes and a TCP stream to the peer's.
param($P)

$mode = [string]$P.mode
if ($mode -ne 'listen' -and $mode -ne 'send') { throw "mode must be listen or send, not '$mode'." }
$adapterName = [string]$P.adapter
$local = [System.Net.IPAddress]::Parse([string]$P.localAddress)
$port = [int]$P.port
$seconds = [double]$P.seconds
$connectSeconds = [double]$P.connectSeconds
$probes = [int]$P.probes
if ($seconds -le 0) { $seconds = 1 }
if ($connectSeconds -le 0) { $connectSeconds = 5 }
if ($probes -le 0) { $probes = 200 }

$adapter = @(Get-NetAdapter | Where-Object { $_.Name -eq $adapterName })
if ($adapter.Count -eq 0) { throw "This server has no adapter named '$adapterName'." }
# Direct cables usually come without addresses: the link address is added for the measurement
# only (ActiveStore: gone at the next restart even if this script is stopped), never as a source
# for other traffic, and removed at the end.
$present = @(Get-NetIPAddress -AddressFamily IPv4 | Where-Object { $_.InterfaceAlias -eq $adapterName -and $_.IPAddress -eq [string]$P.localAddress })
$temporary = $false
if ($present.Count -eq 0) {
    $null = New-NetIPAddress -InterfaceAlias $adapterName -IPAddress ([string]$P.localAddress) -PrefixLength ([int]$P.prefixLength) -PolicyStore ActiveStore -SkipAsSource $true
    $temporary = $true
}

function Get-Median {
    param([double[]]$Values)
    if ($Values.Count -eq 0) { return $null }
    $sorted = [double[]]($Values | Sort-Object)
    $mid = [int][Math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2 -eq 1) { return $sorted[$mid] }
    return ($sorted[$mid - 1] + $sorted[$mid]) / 2
}

$udp = $null
$listener = $null
$client = $null
$ruleNames = @()
try {
    if ($mode -eq 'listen') {
        # Windows Defender Firewall drops unsolicited inbound traffic: allow this port (TCP for the
        # stream, UDP for the probes) for the measurement only, and remove the rules after.
        foreach ($protocol in @('TCP', 'UDP')) {
            $ruleName = 'Twinlock-LinkTest-' + $protocol + '-' + $port + '-In'
            Get-NetFirewallRule -Name $ruleName -ErrorAction SilentlyContinue | Remove-NetFirewallRule
            New-NetFirewallRule -Name $ruleName -DisplayName ('Twinlock link measurement (' + $protocol + ' ' + $port + ')') -Group 'Twinlock link measurement' `
                -Direction Inbound -Action Allow -Protocol $protocol -LocalPort $port -Profile Any -ErrorAction Stop | Out-Null
            $ruleNames += $ruleName
        }
        $udp = [System.Net.Sockets.Socket]::new([System.Net.Sockets.AddressFamily]::InterNetwork, [System.Net.Sockets.SocketType]::Dgram, [System.Net.Sockets.ProtocolType]::Udp)
        $udp.Bind([System.Net.IPEndPoint]::new($local, $port))
        $listener = [System.Net.Sockets.TcpListener]::new($local, $port)
        $listener.Start(1)
        $connected = $false
        $bytes = [long]0
        $echoed = 0
        $buffer = [byte[]]::new(65536)
        $probe = [byte[]]::new(64)
        $acceptBy = [DateTime]::UtcNow.AddSeconds($connectSeconds + 2)
        while (-not $listener.Pending() -and [DateTime]::UtcNow -lt $acceptBy) { Start-Sleep -Milliseconds 20 }
        if ($listener.Pending()) {
            $client = $listener.AcceptSocket()
            $connected = $true
            $client.ReceiveTimeout = 5000
            # One sender, served until it closes its stream or the measurement's time is over.
            $doneBy = [DateTime]::UtcNow.AddSeconds($seconds * 2 + 20)
            $open = $true
            while ($open -and [DateTime]::UtcNow -lt $doneBy) {
                $ready = [System.Collections.ArrayList]::new()
                $null = $ready.Add($udp)
                $null = $ready.Add($client)
                [System.Net.Sockets.Socket]::Select($ready, $null, $null, 100000)
                foreach ($s in @($ready)) {
                    if ($s -eq $udp) {
                        $from = [System.Net.EndPoint][System.Net.IPEndPoint]::new([System.Net.IPAddress]::Any, 0)
                        $n = $udp.ReceiveFrom($probe, [ref]$from)
                        $null = $udp.SendTo($probe, $n, [System.Net.Sockets.SocketFlags]::None, $from)
                        $echoed++
                    } else {
                        $n = $client.Receive($buffer)
                        if ($n -le 0) {
                            # The sender's end of stream: tell it how much arrived, then close.
                            $null = $client.Send([System.BitConverter]::GetBytes([long]$bytes))
                            $open = $false
                        } else {
                            $bytes += $n
                        }
                    }
                }
            }
        }
        [pscustomobject]@{
            mode             = 'listen'
            adapter          = $adapterName
            localAddress     = [string]$P.localAddress
            port             = $port
            temporaryAddress = $temporary
            connected        = $connected
            bytesReceived    = $bytes
            datagramsEchoed  = $echoed
        }
    } else {
        $remote = [System.Net.IPAddress]::Parse([string]$P.remoteAddress)
        $reason = $null
        # The listener may still be starting: connect again until the window closes.
        $giveUpAt = [DateTime]::UtcNow.AddSeconds($connectSeconds)
        while ($null -eq $client -and [DateTime]::UtcNow -lt $giveUpAt) {
            $try = [System.Net.Sockets.Socket]::new([System.Net.Sockets.AddressFamily]::InterNetwork, [System.Net.Sockets.SocketType]::Stream, [System.Net.Sockets.ProtocolType]::Tcp)
            $try.Bind([System.Net.IPEndPoint]::new($local, 0))
            try {
                $pending = $try.BeginConnect($remote, $port, $null, $null)
                $left = [int][Math]::Max(50, ($giveUpAt - [DateTime]::UtcNow).TotalMilliseconds)
                if ($pending.AsyncWaitHandle.WaitOne([Math]::Min(1000, $left))) {
                    $try.EndConnect($pending)
                    $client = $try
                } else {
                    $reason = "no answer from $($P.remoteAddress):$port within $connectSeconds s (no cable, adapter down, or address unreachable)"
                    $try.Close()
                }
            } catch {
                $inner = $_.Exception
                while ($null -ne $inner.InnerException) { $inner = $inner.InnerException }
                $reason = "$($P.remoteAddress):$port refused or unreachable: $($inner.Message)"
                $try.Close()
                Start-Sleep -Milliseconds 100
            }
        }
        $result = [ordered]@{
            mode             = 'send'
            adapter          = $adapterName
            localAddress     = [string]$P.localAddress
            remoteAddress    = [string]$P.remoteAddress
            port             = $port
            temporaryAddress = $temporary
            reached          = $false
            reason           = $reason
            probesSent       = 0
            probesReceived   = 0
            rttMs            = $null
            lossPct          = $null
            bytesSent        = [long]0
            seconds          = 0
            mbps             = $null
        }
        if ($null -ne $client) {
            $result.reached = $true
            $result.reason = $null
            $client.SendTimeout = 5000
            $client.ReceiveTimeout = 5000
            $udp = [System.Net.Sockets.Socket]::new([System.Net.Sockets.AddressFamily]::InterNetwork, [System.Net.Sockets.SocketType]::Dgram, [System.Net.Sockets.ProtocolType]::Udp)
            $udp.Bind([System.Net.IPEndPoint]::new($local, 0))
            $udp.ReceiveTimeout = 250
            $target = [System.Net.IPEndPoint]::new($remote, $port)
            $rtts = [System.Collections.Generic.List[double]]::new()
            $packet = [byte[]]::new(64)
            $answer = [byte[]]::new(64)
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            for ($i = 0; $i -lt $probes; $i++) {
                [System.BitConverter]::GetBytes([int]$i).CopyTo($packet, 0)
                $sentAt = $watch.Elapsed.TotalMilliseconds
                $null = $udp.SendTo($packet, $target)
                # An echo of an earlier probe that came late is read past, not counted twice.
                $waitUntil = $sentAt + 250
                while ($watch.Elapsed.TotalMilliseconds -lt $waitUntil) {
                    if (-not $udp.Poll([int][Math]::Max(1000, ($waitUntil - $watch.Elapsed.TotalMilliseconds) * 1000), [System.Net.Sockets.SelectMode]::SelectRead)) { break }
                    try { $n = $udp.Receive($answer) } catch { break }
                    if ($n -ge 4 -and [System.BitConverter]::ToInt32($answer, 0) -eq $i) {
                        $rtts.Add($watch.Elapsed.TotalMilliseconds - $sentAt)
                        break
                    }
                }
            }
            $result.probesSent = $probes
            $result.probesReceived = $rtts.Count
            $median = Get-Median -Values $rtts.ToArray()
            $result.rttMs = if ($null -eq $median) { $null } else { [Math]::Round($median, 3) }
            $result.lossPct = [Math]::Round(($probes - $rtts.Count) * 100.0 / $probes, 2)

            $chunk = [byte[]]::new(65536)
            $sent = [long]0
            $watch.Restart()
            while ($watch.Elapsed.TotalSeconds -lt $seconds) {
                $sent += $client.Send($chunk)
            }
            $client.Shutdown([System.Net.Sockets.SocketShutdown]::Send)
            # The listener's count of what arrived: the stream is measured when it is all there.
            $count = [byte[]]::new(8)
            $got = 0
            try {
                while ($got -lt 8) {
                    $n = $client.Receive($count, $got, 8 - $got, [System.Net.Sockets.SocketFlags]::None)
                    if ($n -le 0) { break }
                    $got += $n
                }
            } catch {
                $got = 0
            }
            $elapsed = $watch.Elapsed.TotalSeconds
            $delivered = if ($got -eq 8) { [System.BitConverter]::ToInt64($count, 0) } else { $sent }
            $result.bytesSent = $sent
            $result.seconds = [Math]::Round($elapsed, 3)
            $result.mbps = [Math]::Round($delivered * 8 / $elapsed / 1000000, 1)
        }
        [pscustomobject]$result
    }
} finally {
    foreach ($s in @($client, $udp)) { if ($null -ne $s) { $s.Close() } }
    if ($null -ne $listener) { $listener.Stop() }
    foreach ($ruleName in $ruleNames) {
        Get-NetFirewallRule -Name $ruleName -ErrorAction SilentlyContinue | Remove-NetFirewallRule
    }
    if ($temporary) {
        Remove-NetIPAddress -InterfaceAlias $adapterName -IPAddress ([string]$P.localAddress) -PolicyStore ActiveStore -Confirm:$false
    }
}
