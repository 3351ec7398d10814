# The PowerShell tier's case runner: one long-lived pwsh that runs many cases, because starting
# pwsh costs seconds on a loaded build machine and hundreds of cases would take many minutes.
#
# Each request (one JSON line on this process's stdin) carries the engine's bootstrap text (the
# text its -EncodedCommand decodes to), the exact stdin bytes the engine sends (base64 JSON
# parameters, newline, script) and a lab server document for the Windows shim. A case runs as a
# server runs `powershell.exe -NoProfile -NonInteractive -EncodedCommand <bootstrap>`:
#   - in a runspace of its own with no profile, the Windows shim module imported first (standing
#     for the Windows modules and providers a server loads on demand), Set-StrictMode Latest;
#   - [Console]::In replaced by the case's stdin, so the bootstrap's ReadLine/ReadToEnd read it;
#   - the bootstrap run as a script, so its `exit 1` ends it with that exit code;
#   - its pipeline output is what powershell.exe would print on stdout; an error that escapes it
#     is what powershell.exe would print on stderr, with exit code 1.
# The answer is one JSON line on this process's stdout: stdout, stderr, exitCode and the changes
# the script asked the shim for.
param([Parameter(Mandatory)][string]$ShimPath)

$ErrorActionPreference = 'Stop'
$requests = [Console]::In
$responses = [System.IO.StreamWriter]::new([Console]::OpenStandardOutput(), [System.Text.UTF8Encoding]::new($false))
$responses.AutoFlush = $true

$work = Join-Path ([System.IO.Path]::GetTempPath()) ("twinlock-tier-" + [guid]::NewGuid().ToString('N'))
$null = New-Item -ItemType Directory -Path $work
$bootstrapFiles = @{}

. (Join-Path $PSScriptRoot 'TierCase.ps1')
$runspace = New-TierRunspace -ShimPath $ShimPath

function Invoke-Case {
    param($Request)
    $key = [string]$Request.bootstrap
    if (-not $bootstrapFiles.ContainsKey($key)) {
        $file = Join-Path $work ("bootstrap-" + $bootstrapFiles.Count + ".ps1")
        [System.IO.File]::WriteAllText($file, $key, [System.Text.UTF8Encoding]::new($false))
        $bootstrapFiles[$key] = $file
    }
    Invoke-TierCase -Runspace $runspace -BootstrapFile $bootstrapFiles[$key] -ServerJson ([string]$Request.server) -Stdin ([string]$Request.stdin)
}

function Invoke-PesterRequest {
    param($Request)
    Import-Module -Name $Request.pester -Force
    $data = @{}
    foreach ($p in $Request.data.PSObject.Properties) { $data[$p.Name] = $p.Value }
    $config = New-PesterConfiguration
    $config.Run.Container = New-PesterContainer -Path $Request.path -Data $data
    $config.Run.PassThru = $true
    $config.Output.Verbosity = 'None'
    $run = Invoke-Pester -Configuration $config
    [pscustomobject]@{
        passed = $run.PassedCount
        failed = $run.FailedCount
        skipped = $run.SkippedCount
        total = $run.TotalCount
        failures = @($run.Failed | ForEach-Object { $_.ExpandedPath + ': ' + ($_.ErrorRecord | ForEach-Object { $_.Exception.Message }) -join ' ' })
    }
}

$responses.WriteLine((@{ ready = $true; version = $PSVersionTable.PSVersion.ToString() } | ConvertTo-Json -Compress))
try {
    while ($null -ne ($line = $requests.ReadLine())) {
        if ($line.Trim() -eq '') { continue }
        $request = $line | ConvertFrom-Json
        $watch = [Diagnostics.Stopwatch]::StartNew()
        try {
            $answer = if ($request.kind -eq 'pester') { Invoke-PesterRequest -Request $request } else { Invoke-Case -Request $request }
            $text = [pscustomobject]@{ id = $request.id; ok = $true; ms = $watch.ElapsedMilliseconds; result = $answer } | ConvertTo-Json -Depth 30 -Compress
        } catch {
            $text = [pscustomobject]@{ id = $request.id; ok = $false; ms = $watch.ElapsedMilliseconds; error = ($_ | Out-String) } | ConvertTo-Json -Depth 5 -Compress
        }
        $responses.WriteLine($text)
    }
} finally {
    $runspace.Dispose()
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}
