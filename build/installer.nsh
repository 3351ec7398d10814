; Included by the NSIS installer that electron-builder makes (nsis.include in electron-builder.yml).
;
; Bundles are written as NAME.twinlock, which the file association opens in Twinlock. Bundles made
; before that are named NAME.twinlock.json, and Windows Explorer associates a file by its last
; extension only (.json), so a double-click opens them in the .json editor. These macros add
; "Open in Twinlock" to the right-click menu of .json files whose name ends in .twinlock.json, and
; of no other .json file, for the installing user or for the whole computer as the admin chose
; (SHELL_CONTEXT follows that choice), and remove it on uninstall.

!define TWINLOCK_EARLIER_BUNDLE_VERB "Software\Classes\SystemFileAssociations\.json\shell\Twinlock.OpenBundle"

!macro customInstall
  WriteRegStr SHELL_CONTEXT "${TWINLOCK_EARLIER_BUNDLE_VERB}" "MUIVerb" "Open in Twinlock"
  WriteRegStr SHELL_CONTEXT "${TWINLOCK_EARLIER_BUNDLE_VERB}" "AppliesTo" 'System.FileName:"*.twinlock.json"'
  WriteRegStr SHELL_CONTEXT "${TWINLOCK_EARLIER_BUNDLE_VERB}" "Icon" '"$appExe",0'
  WriteRegStr SHELL_CONTEXT "${TWINLOCK_EARLIER_BUNDLE_VERB}\command" "" '"$appExe" "%1"'
!macroend

!macro customUnInstall
  DeleteRegKey SHELL_CONTEXT "${TWINLOCK_EARLIER_BUNDLE_VERB}"
!macroend
