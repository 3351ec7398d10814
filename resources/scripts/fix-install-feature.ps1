# Twinlock remote script: fix-install-feature
# Version: 1
# Purpose: Installs a Windows role (Hyper-V) with its management tools; the server then needs a restart.
param($P)

# Only the roles Twinlock offers to add; anything else is refused here as well as in the engine.
$allowed = @('Hyper-V')
$name = [string]$P.name
if ($allowed -notcontains $name) {
    throw "Twinlock does not install the feature '$name'."
}
$result = Install-WindowsFeature -Name $name -IncludeManagementTools -ErrorAction Stop

[pscustomobject]@{
    success       = [bool]$result.Success
    restartNeeded = [string]$result.RestartNeeded
    exitCode      = [string]$result.ExitCode
    features      = @($result.FeatureResult | ForEach-Object { $_.Name })
}
