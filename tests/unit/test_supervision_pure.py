"""Charts, tables, the Vietnamese sort key and the indicator reader are pure: no Flask, no database."""
from __future__ import annotations

import io
import subprocess
import sys
import xml.etree.ElementTree as ET

from openpyxl import load_workbook

from planner.charts import progress_line, ranking_bars, stacked_bars
from planner.tables import Table, to_csv, to_xlsx


def test_supervision_cores_import_neither_flask_nor_sqlalchemy():
    code = ("import sys, planner.charts, planner.tables, planner.vnsort, planner.library_indicators; "
            "print('flask' in sys.modules, 'sqlalchemy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_charts_are_well_formed_svg_with_escaped_labels():
    for svg in (stacked_bars("Tuần <1>", ["01/04", "08/04"], {"Loa & đài": [3, 4], "Fanpage": [1, 0]}),
                progress_line("Tiến độ", [("01/04", 10.0), ("08/04", None), ("15/04", 40.5)], 100),
                ranking_bars("Xếp hạng", [("Thôn 1", 20.0), ("Thôn 2", None)], 100)):
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg") and root.find("{http://www.w3.org/2000/svg}title") is not None
    assert "Loa &amp; đài" in stacked_bars("x", ["a"], {"Loa & đài": [1]})
    assert "chưa có số liệu" in ranking_bars("x", [("Thôn 2", None)], 100)


def test_tables_download_as_csv_with_bom_and_xlsx_without_formulas():
    table = Table("Đơn vị: [thôn]", ["Đơn vị", "Giá trị"], [["=HYPERLINK(1)", 1], ["Thôn 2", 2.5]], ["Tổng cộng", 3.5])
    csv = to_csv(table).decode("utf-8")
    assert csv.startswith("\ufeffĐơn vị,Giá trị") and "'=HYPERLINK(1)" in csv and csv.rstrip().endswith("Tổng cộng,3.5")
    book = load_workbook(io.BytesIO(to_xlsx([table, table])))
    assert book.sheetnames == ["Đơn vị   thôn", "Đơn vị   thôn 2"]
    sheet = book.worksheets[0]
    assert sheet["A2"].value == "'=HYPERLINK(1)" and sheet["B3"].value == 2.5 and sheet["A4"].font.bold
