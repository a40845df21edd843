Attribute VB_Name = "XltRibbon"
' The xltools ribbon tab (customUI14.xml): one callback for every button.
' A button's id is a command id; Python runs that command of xltools.commands.COMMANDS on
' the active workbook (xltools/excel/ribbon.py), the same code the command line runs.
Option Explicit

Public Sub XltOnAction(control As IRibbonControl)
    XltRun control.Id
End Sub

' Runs one command by id, e.g. XltRun "validate_sheet" from the Immediate window.
Public Sub XltRun(ByVal commandId As String)
    If ActiveWorkbook Is Nothing Then
        ' "Please open a workbook first, then use the xltools tab."
        MsgBox Zh("8BF7 5148 6253 5F00 4E00 4E2A 5DE5 4F5C 7C3F FF0C 518D 4F7F 7528 7EE9 6548 5DE5 5177 3002"), _
               vbInformation, "xltools"
        Exit Sub
    End If
    RunPython "import xltools.excel.ribbon as r; r.run('" & commandId & "')"
End Sub

' A string from space-separated UTF-16 code units in hex (keeps this module ASCII).
Private Function Zh(ByVal codes As String) As String
    Dim parts() As String, i As Long, s As String
    parts = Split(codes, " ")
    For i = LBound(parts) To UBound(parts)
        s = s & ChrW(CLng("&H" & parts(i)))
    Next i
    Zh = s
End Function
