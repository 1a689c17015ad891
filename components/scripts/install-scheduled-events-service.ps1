# gatewatch: install and start Microsoft's AzureScheduledEventsService (SchService) on this VM.
# Run by a managed run command (components/vm_scheduled_events.py) as LocalSystem; safe to run
# again: it does nothing when the gatewatch build of the service is installed and running.
#
# What it changes in Microsoft's script, and why (seed 002, gatewatch alert vm-scheduled-event):
#   1. The automatic approval of every event is removed. Approving tells Azure it may start the
#      maintenance before NotBefore ("shorten the minimum notification time"), which would
#      spend the very notice the alert is there to deliver. Nothing else approves events.
#   2. IMDS api-version 2017-11-01 becomes 2020-07-01, so Terminate events, Description,
#      EventSource and DurationInSeconds are logged too.
# Each edit must match exactly once, or the script stops: a changed upstream file is never
# installed half-patched.
$ErrorActionPreference = 'Stop'
$ServiceName = 'SchService'   # the service is named after the script file (SchService.ps1)
# Pinned to a commit: the file behind this URL cannot change under the kit.
$SourceUri = 'https://raw.githubusercontent.com/microsoft/AzureScheduledEventsService/1bed119af413e7336106a8a2437f67524ab7e251/Powershell/SchService.ps1'
$Marker = '# gatewatch-patched: no auto-approval, api-version 2020-07-01'
$Installed = Join-Path $env:windir "System32\$ServiceName.ps1"   # where -Setup copies it
$WorkDir = Join-Path $env:ProgramData 'gatewatch\scheduled-events'

function Test-GatewatchBuild {
    (Test-Path $Installed) -and ((Get-Content -Path $Installed -TotalCount 1) -eq $Marker)
}

$service = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
if ($service -and (Test-GatewatchBuild)) {
    if ($service.Status -ne 'Running') {
        Start-Service -Name $ServiceName
        (Get-Service -Name $ServiceName).WaitForStatus('Running', [TimeSpan]::FromSeconds(60))
        Write-Output "$ServiceName was $($service.Status); started"
    } else {
        Write-Output "$ServiceName already installed (gatewatch build) and running"
    }
    exit 0
}
if ($service) {
    # Installed by hand from Microsoft's unpatched script, which approves events: replace it.
    Write-Output "$ServiceName found without the gatewatch patch; removing it first"
    & powershell.exe -NoProfile -ExecutionPolicy Bypass -File $Installed -Remove
    if ($LASTEXITCODE) { throw "removing the existing $ServiceName failed (exit $LASTEXITCODE)" }
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
Write-Output "$ServiceName installed (gatewatch build) and running"
