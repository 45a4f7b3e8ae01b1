"""Staff exports of a consultation: every response (one row each, one column per question) as CSV
(UTF-8 with BOM, for Excel) or as an XLSX workbook that also has a summary sheet. Cells a
spreadsheet would run as a formula are neutralised."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from sqlmodel import Session, col, select

from forum.cases.queries import _cell as safe_cell
from forum.consultations.models import (
    Consultation,
    ConsultationAnswer,
    ConsultationResponse,
    QuestionKind,
)
from forum.consultations.queries import QuestionView, Results, questions
from forum.timeutil import SHANGHAI

FIXED_HEADER = ["答卷编号", "首次提交", "最后修改"]


def column_title(view: QuestionView) -> str:
    q = view.question
    if q.subject and q.criterion:
        return f"{view.number}. {q.subject}·{q.criterion}"
    return f"{view.number}. {q.prompt}"


def _cell(value: object) -> object:
    return safe_cell(value) if isinstance(value, str) else value


def response_rows(session: Session, consultation: Consultation) -> tuple[list[str], Iterator[list[object]]]:
    """The header and one row per response, oldest first (answers loaded in one query)."""
    views = questions(session, consultation)
    labels = {o.id: o.label for v in views for o in v.options}
    header = FIXED_HEADER + [column_title(v) for v in views]
    responses = list(
        session.exec(
            select(ConsultationResponse)
            .where(ConsultationResponse.consultation_id == consultation.id)
            .order_by(col(ConsultationResponse.id))
        ).all()
    )
    answers: dict[int, dict[int, list[ConsultationAnswer]]] = defaultdict(lambda: defaultdict(list))
    if responses:
        for a in session.exec(
            select(ConsultationAnswer)
            .join(ConsultationResponse, col(ConsultationResponse.id) == ConsultationAnswer.response_id)
            .where(ConsultationResponse.consultation_id == consultation.id)
            .order_by(col(ConsultationAnswer.id))
        ).all():
            answers[a.response_id][a.question_id].append(a)

    def rows() -> Iterator[list[object]]:
        for n, response in enumerate(responses, 1):
            row: list[object] = [
                n,
                response.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
                response.updated_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
            ]
            for view in views:
                given = answers[response.id].get(view.question.id, [])  # type: ignore[index]
                kind = view.question.kind
                if kind == QuestionKind.RATING:
                    row.append(given[0].rating if given else "")
                elif kind == QuestionKind.TEXT:
                    row.append(_cell(given[0].text or "") if given else "")
                else:
                    row.append(_cell("；".join(labels.get(a.option_id, "") for a in given)))  # type: ignore[arg-type]
            yield row

    return header, rows()


def export_csv(session: Session, consultation: Consultation) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    header, rows = response_rows(session, consultation)
    writer.writerow([_cell(h) for h in header])
    writer.writerows(rows)
    return out.getvalue()


def summary_rows(results: Results) -> Iterator[list[object]]:
    """The summary sheet: per question its tally, then 民主评议's subject × criterion table."""
    yield [_cell(results.consultation.title)]
    yield ["参与份数", results.response_count]
    yield []
    for r in results.questions:
        q = r.view.question
        yield [_cell(column_title(r.view)), f"作答 {r.answered} 份"]
        if r.options:
            yield ["选项", "人数", "占比(%)"]
            for c in r.options:
                yield [_cell(c.option.label), c.count, c.percent]
        elif q.kind == QuestionKind.RATING:
            yield ["平均分", r.average if r.average is not None else ""]
            for score, count in r.distribution.items():
                yield [f"{score} 分", count]
        else:
            yield ["文字意见", r.text_count]
        yield []
    if results.by_subject:
        yield ["评议结果（平均分）"]
        yield ["评议对象", *[_cell(c) for c in results.criteria], "综合"]
        for row in results.by_subject:
            yield [
                _cell(row.subject),
                *[row.criteria.get(c) if row.criteria.get(c) is not None else "" for c in results.criteria],
                row.average if row.average is not None else "",
            ]


def export_xlsx(session: Session, consultation: Consultation, results: Results) -> bytes:
    book = Workbook()
    summary = book.active
    summary.title = "汇总"
    bold = Font(bold=True)
    for row in summary_rows(results):
        summary.append(row)
    summary["A1"].font = Font(bold=True, size=13)
    summary.column_dimensions["A"].width = 40
    summary.column_dimensions["B"].width = 14
    summary.column_dimensions["C"].width = 12
    sheet = book.create_sheet("答卷")
    header, rows = response_rows(session, consultation)
    sheet.append([_cell(h) for h in header])
    fill = PatternFill("solid", fgColor="EAF1FE")
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    for i in range(len(header)):
        letter = sheet.cell(row=1, column=i + 1).column_letter
        sheet.column_dimensions[letter].width = 18 if i < len(FIXED_HEADER) else 26
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
