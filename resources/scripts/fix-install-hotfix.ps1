# Twinlock remote script: fix-install-hotfix
# Version: 2
# Purpose: Installs staged update packages (.msu) quietly with wusa.exe, without restarting.
param($P)

$folder = Join-Path -Path $env:ProgramData -ChildPath 'Twinlock\updates'
$results = @()
foreach ($path in @($P.paths)) {
    $full = [System.IO.Path]::GetFullPath([string]$path)
    # Only packages the admin staged for Twinlock, nowhere else on the disk.
    if (-not $full.StartsWith($folder + '\', [System.StringComparison]::OrdinalIgnoreCase) -or -not $full.EndsWith('.msu', [System.StringComparison]::OrdinalIgnoreCase)) {
        throw "$full is not an update package in $folder."
    }
    # Start-Process joins ArgumentList with spaces and adds no quotes, so a path with a space would
    # reach wusa.exe as two arguments: quote it by hand. A Windows file name holds no double quote
    # and the path ends in .msu, never in a backslash, so the quotes cannot be broken out of.
    if ($full.Contains('"')) {
        throw "$full is not an update package in $folder."
    }
    $process = Start-Process -FilePath 'wusa.exe' -ArgumentList @(('"' + $full + '"'), '/quiet', '/norestart') -Wait -PassThru
    $results += [pscustomobject]@{ path = $full; exitCode = $process.ExitCode }
}

[pscustomobject]@{
    results = $results
    # 3010: installed, restart required. 2359302: already installed.
    restartNeeded = @($results | Where-Object { $_.exitCode -eq 3010 }).Count -gt 0
    failed = @($results | Where-Object { @(0, 3010, 2359302) -notcontains $_.exitCode }).Count
}
