"""The word list: matching in every script and width, each level's effect, the cache following
edits made anywhere."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from factories import make_board, make_reply, make_topic, make_user
from forum.boards import service as boards
from forum.boards.models import Topic
from forum.errors import Invalid
from forum.guards import service as guards
from forum.guards.words import Matcher, fold


class TestFolding:
    def test_folded_text_maps_back_to_the_original_characters(self) -> None:
        folded, origin = fold("代 開-發票")
        assert folded == "代开发票"
        assert origin == [0, 2, 4, 5]

    @pytest.mark.parametrize(
        "text",
        ["代开发票", "代開發票", "代 开 发 票", "代.开.发.票", "专业代開發票找我", "代\u3000开发票"],
    )
    def test_simplified_traditional_and_spaced_forms_match(self, text: str) -> None:
        matcher = Matcher("s", [("代开发票", "代开发票", "block")])
        assert [h.word for h in matcher.find(text)] == ["代开发票"]

    def test_full_width_and_upper_case_latin_match(self) -> None:
        matcher = Matcher("s", [(fold("VX加我")[0], "VX加我", "block")])
        for text in ("ＶＸ加我", "vx加我", "Ｖｘ 加我"):
            assert matcher.find(text), text

    def test_latin_words_match_whole_words_only(self) -> None:
        matcher = Matcher("s", [("sb", "sb", "mask")])
        assert matcher.find("你个SB") and matcher.find("ＳＢ！")
        assert not matcher.find("usb 接口") and not matcher.find("is bad")


class TestLevels:
    @pytest.mark.parametrize("text", ["代开发票", "代開發票", "ＶＸ加我 ", "vx加我"])
    def test_block_refuses_naming_the_word(self, session: Session, words, text: str) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(Invalid, match="不允许发布的词语") as caught:
            guards.screen(session, {"body": f"优惠 {text} 联系我"})
        assert caught.value.field == "body"

    def test_blocked_topic_saves_nothing(self, session: Session, words) -> None:  # type: ignore[no-untyped-def]
        board = make_board(session)
        author = make_user(session)
        with pytest.raises(Invalid, match="「代开发票」"):
            boards.create_topic(session, actor=author, board=board, title="代開發票", body="正规")
        session.rollback()
        assert session.exec(select(func.count()).select_from(Topic)).one() == 0

    @pytest.mark.parametrize("text", ["维权群", "維權群", "维 权 群"])
    def test_hold_marks_the_verdict(self, session: Session, words, text: str) -> None:  # type: ignore[no-untyped-def]
        verdict = guards.screen(session, {"body": f"加入{text}吧"})
        assert verdict.is_held and verdict.held == ["维权群"]
        assert verdict.texts["body"] == f"加入{text}吧"

    @pytest.mark.parametrize(
        ("text", "stored"),
        [
            ("你这个废物！", "你这个**！"),
            ("你這個廢物！", "你這個**！"),
            ("废 物说的就是你", "* *说的就是你"),
            ("你是SB吧，用USB接口", "你是**吧，用USB接口"),
            ("ｓｂ", "**"),
        ],
    )
    def test_mask_replaces_exactly_the_word(self, session: Session, words, text: str, stored: str) -> None:  # type: ignore[no-untyped-def]
        assert guards.screen(session, {"body": text}).texts["body"] == stored

    def test_masked_reply_is_stored_masked(self, session: Session, words) -> None:  # type: ignore[no-untyped-def]
        board = make_board(session)
        author = make_user(session)
        topic = make_topic(session, board=board, author=author)
        post = make_reply(session, topic=topic, author=author, body="楼上是废物，别理")
        assert post.body == "楼上是**，别理" and "废物" not in post.body_html

    def test_masked_title_is_stored_masked(self, session: Session, words) -> None:  # type: ignore[no-untyped-def]
        board = make_board(session)
        topic = make_topic(session, board=board, author=make_user(session), title="物业就是一群废物")
        assert topic.title == "物业就是一群**"

    def test_edit_is_screened(self, session: Session, words) -> None:  # type: ignore[no-untyped-def]
        board = make_board(session)
        author = make_user(session)
        topic = make_topic(session, board=board, author=author)
        post = boards.first_post(session, topic)
        with pytest.raises(Invalid, match="代开发票"):
            boards.edit_post(session, actor=author, post=post, body="代开发票")
        session.rollback()
        edited = boards.edit_post(session, actor=author, post=post, body="都是废物")
        assert edited.body == "都是**"

    def test_username_with_a_blocked_word_is_refused(self, session: Session, words) -> None:  # type: ignore[no-untyped-def]
        from forum.accounts import service as accounts

        with pytest.raises(Invalid, match="用户名包含不允许使用的词语") as caught:
            accounts.register(session, username="代開發票小王", password="correct-horse-42")
        assert caught.value.field == "username"


class TestWordList:
    def test_admin_edits_reach_the_matcher_at_once(self, session: Session, words) -> None:  # type: ignore[no-untyped-def]
        assert not guards.screen(session, {"body": "刷单返利"}).blocked
        guards.add_words(session, actor=words, words="刷单返利", level="block")
        session.commit()
        with pytest.raises(Invalid):
            guards.screen(session, {"body": "刷單返利"})
        word = next(w for w in guards.list_words(session, actor=words) if w.word == "刷单返利")
        guards.set_level(session, actor=words, word=word, level="mask")
        assert guards.screen(session, {"body": "刷单返利"}).texts["body"] == "****"
        guards.delete_word(session, actor=words, word=word)
        assert guards.screen(session, {"body": "刷单返利"}).texts["body"] == "刷单返利"

    def test_adding_a_word_in_another_script_changes_its_level(self, session: Session, words) -> None:  # type: ignore[no-untyped-def]
        guards.add_words(session, actor=words, words="維權群", level="block")
        listed = [w for w in guards.list_words(session, actor=words) if w.normalized == "维权群"]
        assert len(listed) == 1 and listed[0].level == "block"

    @pytest.mark.parametrize(
        ("text", "message"),
        [("", "请填写"), ("，，", "请填写"), ("a", "太短"), ("长" * 21, "太长")],
    )
    def test_bad_words_are_refused(self, session: Session, words, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(Invalid, match=message):
            guards.add_words(session, actor=words, words=text, level="block")

    def test_unknown_level_is_refused(self, session: Session, words) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(Invalid, match="处理方式"):
            guards.add_words(session, actor=words, words="测试词", level="ban")

    def test_only_admins_edit_the_list(self, session: Session, words) -> None:  # type: ignore[no-untyped-def]
        from forum.accounts.models import RoleName
        from forum.errors import NotPermitted

        staff = make_user(session, role=RoleName.STAFF)
        with pytest.raises(NotPermitted):
            guards.add_words(session, actor=staff, words="测试词", level="block")
