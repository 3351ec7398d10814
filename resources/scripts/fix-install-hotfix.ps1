# Twinlock remote script: fix-install-hotfix
# Version: 3
# Purpose: Installs staged update packages (.msu) quietly with wusa.exe, without restarting.
param($P)

$folder = Join-Path -Path $env:ProgramData -ChildPath 'Twinlock\updates'
$results = @()
foreach ($path in @($P.paths)) {
    $given = [string]$path
    # A Windows file name holds no double quote. Refused before the path is resolved: on Windows
    # PowerShell 5.1, .NET Framework's GetFullPath would fail first with "Illegal characters in path."
    if ($given.Contains('"')) {
        throw "$given is not an update package in $folder."
    }
    $full = [System.IO.Path]::GetFullPath($given)
    # Only packages the admin staged for Twinlock, nowhere else on the disk.
    if (-not $full.StartsWith($folder + '\', [System.StringComparison]::OrdinalIgnoreCase) -or -not $full.EndsWith('.msu', [System.StringComparison]::OrdinalIgnoreCase)) {
        throw "$full is not an update package in $folder."
    }
    # Start-Process joins ArgumentList with spaces and adds no quotes, so a path with a space would
    # reach wusa.exe as two arguments: quote it by hand. The path holds no double quote and ends in
    # .msu, never in a backslash, so the quotes cannot be broken out of.
    $process = Start-Process -FilePath 'wusa.exe' -ArgumentList @(('"' + $full + '"'), '/quiet', '/norestart') -Wait -PassThru
    $results += [pscustomobject]@{ path = $full; exitCode = $process.ExitCode }
}

[pscustomobject]@{
    results = $results
    # 3010: installed, restart required. 2359302: already installed.
    restartNeeded = @($results | Where-Object { $_.exitCode -eq 3010 }).Count -gt 0
    failed = @($results | Where-Object { @(0, 3010, 2359302) -notcontains $_.exitCode }).Count
}
