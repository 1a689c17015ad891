# gatewatch: install and start Microsoft's AzureScheduledEventsService (SchService) on this VM.
# Run by a managed run command (components/vm_scheduled_events.py) as LocalSystem; safe to run
# again: it does nothing when this exact gatewatch build (pinned commit + patch version) of the
# service is installed and its poller is running.
#
# What it changes in Microsoft's script, and why (seed 002, gatewatch alert vm-scheduled-event):
#   1. The automatic approval of every event is removed. Approving tells Azure it may start the
#      maintenance before NotBefore ("shorten the minimum notification time"), which would
#      spend the very notice the alert is there to deliver. Nothing else approves events.
#   2. IMDS api-version 2017-11-01 becomes 2020-07-01, so Terminate events, Description,
#      EventSource and DurationInSeconds are logged too.
# Each edit must match exactly once, or the script stops: a changed upstream file is never
# installed half-patched.
#
# Trust: the script is downloaded from GitHub at a pinned commit (the content behind a commit
# URL cannot change), over HTTPS, so the VM needs outbound HTTPS to raw.githubusercontent.com.
# No SHA256 is checked: the kit has no verified copy of the exact bytes, and a wrong hash would
# fail every deploy. To change the pin or the patch, bump $Commit or $PatchVersion: the marker
# changes, so every VM reinstalls.
$ErrorActionPreference = 'Stop'
$ServiceName = 'SchService'   # the service is named after the script file (SchService.ps1)
$DisplayName = 'AzureScheduledEvents'   # what upstream -Setup registers, whatever the file name
$Commit = '1bed119af413e7336106a8a2437f67524ab7e251'
$PatchVersion = 2             # bump when the edits below change
$SourceUri = "https://raw.githubusercontent.com/microsoft/AzureScheduledEventsService/$Commit/Powershell/SchService.ps1"
$Marker = "# gatewatch-patched: commit $Commit, patch $PatchVersion (no auto-approval, api-version 2020-07-01)"
$Installed = Join-Path $env:windir "System32\$ServiceName.ps1"   # where -Setup copies it
$WorkDir = Join-Path $env:ProgramData 'gatewatch\scheduled-events'

function Test-GatewatchBuild {
    (Test-Path $Installed) -and ((Get-Content -Path $Installed -TotalCount 1) -eq $Marker)
}

function Assert-PollerRunning {
    # Upstream -Status prints the service state and exits 1 when the SCM says Running but no
    # "<script> -Service" process (the poller) exists; "Running" with exit 0 is the proof.
    $deadline = (Get-Date).AddSeconds(60)
    do {
        $out = (& powershell.exe -NoProfile -ExecutionPolicy Bypass -File $Installed -Status 2>&1 |
                Out-String).Trim()
        if (($LASTEXITCODE -eq 0) -and ($out -match '(?m)^Running$')) { return }
        Start-Sleep -Seconds 5
    } while ((Get-Date) -lt $deadline)
    throw "$ServiceName is not polling: -Status said '$out' (exit $LASTEXITCODE)"
}

# Any copy of the service: by name, or by upstream's display name (a stock copy saved under
# another file name registers another service name and keeps approving events).
$services = @(Get-Service | Where-Object { $_.Name -eq $ServiceName -or $_.DisplayName -eq $DisplayName })
$ours = $services | Where-Object { $_.Name -eq $ServiceName }
if ($ours -and ($services.Count -eq 1) -and (Test-GatewatchBuild)) {
    if ($ours.Status -ne 'Running') {
        Start-Service -Name $ServiceName
        (Get-Service -Name $ServiceName).WaitForStatus('Running', [TimeSpan]::FromSeconds(60))
        Write-Output "$ServiceName was $($ours.Status); started"
    }
    Assert-PollerRunning
    Write-Output "$ServiceName already installed (gatewatch build $Commit/$PatchVersion) and polling"
    exit 0
}
foreach ($service in $services) {
    # Unpatched (approves events), an older pin or patch, or a renamed stock copy: replace it.
    $file = Join-Path $env:windir "System32\$($service.Name).ps1"
    Write-Output "$($service.Name) ($($service.DisplayName)) is not this gatewatch build; removing it"
    if (Test-Path $file) {
        & powershell.exe -NoProfile -ExecutionPolicy Bypass -File $file -Remove
        if ($LASTEXITCODE) { throw "removing $($service.Name) failed (exit $LASTEXITCODE)" }
    } else {
        # Its script is gone, so its own -Remove cannot run: stop and delete the service.
        Stop-Service -Name $service.Name -Force -ErrorAction SilentlyContinue
        $msg = & sc.exe delete $service.Name
        if ($LASTEXITCODE) { throw "sc.exe delete $($service.Name) failed (exit $LASTEXITCODE): $msg" }
    }
}

New-Item -ItemType Directory -Force -Path $WorkDir | Out-Null
$script = Join-Path $WorkDir "$ServiceName.ps1"
[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12
$text = (Invoke-WebRequest -Uri $SourceUri -UseBasicParsing).Content

$approve = [regex]'(?m)^[ \t]*ApproveScheduledEvent[ \t]+\$event\.EventId.*$'
if ($approve.Matches($text).Count -ne 1) { throw "auto-approval line not found exactly once in $SourceUri" }
$text = $approve.Replace($text, '# (gatewatch) automatic approval removed: it would spend the notice')
$api = [regex]'api-version=2017-11-01'
if ($api.Matches($text).Count -ne 1) { throw "IMDS api-version not found exactly once in $SourceUri" }
$text = $api.Replace($text, 'api-version=2020-07-01')
Set-Content -Path $script -Value ($Marker + "`r`n" + $text) -Encoding ASCII

# -Setup compiles the service stub and registers it (automatic start); -Start starts it.
& powershell.exe -NoProfile -ExecutionPolicy Bypass -File $script -Setup
if ($LASTEXITCODE) { throw "$ServiceName -Setup failed (exit $LASTEXITCODE)" }
& powershell.exe -NoProfile -ExecutionPolicy Bypass -File $script -Start
if ($LASTEXITCODE) { throw "$ServiceName -Start failed (exit $LASTEXITCODE)" }
(Get-Service -Name $ServiceName).WaitForStatus('Running', [TimeSpan]::FromSeconds(60))
if (-not (Test-GatewatchBuild)) { throw "$ServiceName installed, but not from the patched copy" }
Assert-PollerRunning
Write-Output "$ServiceName installed (gatewatch build $Commit/$PatchVersion) and polling"
