# Twinlock remote script: invoke-twinlockctl
# Version: 3
# Purpose: Runs one twinlockctl verb with its input as JSON on stdin; returns its exit code, its JSON answer and its raw text, or installed = false when the agent is not there.
param($P)

# The verbs of the agent contract. The command line carries one of them and "--input -", never a
# value: Windows turns a native command line back into arguments by rules (the C runtime's, and
# Windows PowerShell 5.1's own quoting) under which quotes, backslashes and spaces split a value
# or inject a flag. Every value travels in one JSON document on standard input instead.
$verbs = @('version', 'status', 'links test', 'pair create', 'pair join', 'protect', 'unprotect', 'drill', 'pair remove')
$words = @($P.verb | ForEach-Object { [string]$_ })
$verb = $words -join ' '
if ($words.Count -eq 0 -or $verbs -cnotcontains $verb) {
    throw "twinlockctl has no verb '$verb'. Verbs: $($verbs -join ', ')."
}
if ($null -eq $P.input) {
    throw "twinlockctl $verb needs an input object ({} when the verb takes none)."
}
if (-not (Test-Path -LiteralPath $P.ctlPath -PathType Leaf)) {
    # Not a failure of this script: a server without the agent is asked about its pair too (a
    # Level 1 node, a server not paired yet), and the engine decides what that means.
    return [pscustomobject]@{
        installed = $false
        exitCode  = $null
        output    = $null
        text      = ''
        stderr    = ''
    }
}

# Windows PowerShell 5.1's extended type data gives arrays a Count property that ConvertTo-Json
# can print as {"value":[...],"Count":n}; without it an array stays an array. (No-op on 7.)
Remove-TypeData -TypeName System.Array -ErrorAction SilentlyContinue
$json = ConvertTo-Json -InputObject $P.input -Depth 10 -Compress

# System.Diagnostics.Process rather than "$json | & $ctl": Windows PowerShell 5.1 encodes what it
# pipes to a native program with $OutputEncoding (ASCII by default: every non-ASCII character
# becomes "?") and decodes its output with [Console]::OutputEncoding, a console setting that
# depends on the session; it also turns each stderr line into an error record. .NET Framework's
# Process has no StandardInputEncoding (its writer uses the console's input code page), so the
# UTF-8 bytes are written to the raw pipe, and stdout is read with an explicit UTF-8 decoder.
# Arguments is built from the closed list above only, so it never holds a value.
$utf8 = [System.Text.UTF8Encoding]::new($false)
$start = New-Object System.Diagnostics.ProcessStartInfo
$start.FileName = $P.ctlPath
$start.Arguments = $verb + ' --input -'
$start.UseShellExecute = $false
$start.CreateNoWindow = $true
$start.RedirectStandardInput = $true
$start.RedirectStandardOutput = $true
$start.RedirectStandardError = $true
$start.StandardOutputEncoding = $utf8
$start.StandardErrorEncoding = $utf8

$process = [System.Diagnostics.Process]::Start($start)
# Both outputs are drained while the input is written, so a full pipe can never stall either side.
$stdoutRead = $process.StandardOutput.ReadToEndAsync()
$stderrRead = $process.StandardError.ReadToEndAsync()
$bytes = $utf8.GetBytes($json)
try {
    $process.StandardInput.BaseStream.Write($bytes, 0, $bytes.Length)
    $process.StandardInput.BaseStream.Flush()
} catch [System.IO.IOException] {
    # twinlockctl exited without reading its input (a usage error): its answer says why.
}
try { $process.StandardInput.Close() } catch [System.IO.IOException] { }
$process.WaitForExit()
$text = $stdoutRead.Result
$stderr = $stderrRead.Result
$exitCode = $process.ExitCode
$process.Dispose()

$output = $null
if ($text.Trim() -ne '') {
    try { $output = $text | ConvertFrom-Json } catch { $output = $null }
}

[pscustomobject]@{
    installed = $true
    exitCode  = $exitCode
    output    = $output
    text      = $text
    stderr    = $stderr
}
