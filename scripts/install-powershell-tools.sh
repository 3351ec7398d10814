#!/usr/bin/env bash
# The PowerShell tier's tools (test/powershell): PowerShell 7 as a .NET tool and Pester from NuGet.
# Cached: each is fetched only when the version asked for is not already there.
#   TWINLOCK_TOOLS   where pwsh goes (default /opt/twinlock-tools; pwsh at $TWINLOCK_TOOLS/pwsh/pwsh)
#   NUGET_PACKAGES   NuGet's package folder, where Pester lands (default ~/.nuget/packages)
set -euo pipefail

PWSH_VERSION=7.6.9
PESTER_VERSION=5.7.1
TOOLS="${TWINLOCK_TOOLS:-/opt/twinlock-tools}"
PACKAGES="${NUGET_PACKAGES:-$HOME/.nuget/packages}"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "install-powershell-tools: the .NET SDK (dotnet) is required to install PowerShell and Pester." >&2
  exit 1
fi

if [ "$("$TOOLS/pwsh/pwsh" --version 2>/dev/null || true)" = "PowerShell $PWSH_VERSION" ]; then
  echo "pwsh $PWSH_VERSION: already at $TOOLS/pwsh"
else
  mkdir -p "$TOOLS"
  if [ -e "$TOOLS/pwsh/pwsh" ]; then
    dotnet tool update --tool-path "$TOOLS/pwsh" PowerShell --version "$PWSH_VERSION"
  else
    dotnet tool install --tool-path "$TOOLS/pwsh" PowerShell --version "$PWSH_VERSION"
  fi
  "$TOOLS/pwsh/pwsh" --version
fi

if [ -f "$PACKAGES/pester/$PESTER_VERSION/tools/Pester.psd1" ]; then
  echo "Pester $PESTER_VERSION: already at $PACKAGES/pester/$PESTER_VERSION"
else
  # NuGet restores a package only for a project: a throwaway one that downloads Pester and builds nothing.
  project="$(mktemp -d)"
  trap 'rm -rf "$project"' EXIT
  cat >"$project/pester-download.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Pester" Version="[$PESTER_VERSION]" /></ItemGroup>
</Project>
XML
  dotnet restore "$project/pester-download.csproj" --packages "$PACKAGES"
  test -f "$PACKAGES/pester/$PESTER_VERSION/tools/Pester.psd1"
  echo "Pester $PESTER_VERSION: restored to $PACKAGES/pester/$PESTER_VERSION"
fi
