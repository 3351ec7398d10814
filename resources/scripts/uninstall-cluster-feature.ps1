# Twinlock remote script: uninstall-cluster-feature
# Version: 1
# Purpose: Removes Windows' Failover Clustering feature and its management tools; the server then needs a restart.
param($P)

# Windows refuses while the server is a node of a cluster; the feature stays installed until the
# restart it asks for (SuccessRestartRequired).
$result = Uninstall-WindowsFeature -Name 'Failover-Clustering' -IncludeManagementTools -ErrorAction Stop

[pscustomobject]@{
    success       = [bool]$result.Success
    restartNeeded = [string]$result.RestartNeeded
    exitCode      = [string]$result.ExitCode
    features      = @($result.FeatureResult | ForEach-Object { $_.Name })
}
