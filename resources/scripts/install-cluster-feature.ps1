# Twinlock remote script: install-cluster-feature
# Version: 1
# Purpose: Enables Windows' Failover Clustering feature with its management tools (Level 1 needs no agent).
param($P)

# Windows refuses an edition without the feature (NameDoesNotExist) and answers NoChangeNeeded
# when it is already there; its own answer is what the engine reads.
$result = Install-WindowsFeature -Name 'Failover-Clustering' -IncludeManagementTools -ErrorAction Stop

[pscustomobject]@{
    success       = [bool]$result.Success
    restartNeeded = [string]$result.RestartNeeded
    exitCode      = [string]$result.ExitCode
    features      = @($result.FeatureResult | ForEach-Object { $_.Name })
}
