import pytest

from indexer.parse.roles import ROLES, canonical_role, parse_label


@pytest.mark.parametrize(
    "label, role, name",
    [
        ("委員長", "委員長", None),
        ("【委員】", "委員", None),
        ("【事務局(業)】", "事務局", None),
        ("(会長)", "会長", None),
        ("（委員）", "委員", None),
        ("事務局(市)", "事務局", None),
        ("○山田委員長", "委員長", "山田"),
        ("◎山川委員長", "委員長", "山川"),
        ("○議長（中村俊介君）", "議長", "中村俊介"),
        ("〇関 三郎委員長", "委員長", "関 三郎"),
        ("○前田産業労働局長", "局長", "前田"),
        ("鈴木健康福祉部長", "部長", "鈴木"),
        ("中村太郎委員", "委員", "中村太郎"),
        ("たきぐち学委員", "委員", "たきぐち学"),
        ("総務部長", "部長", None),
        ("A委員", "委員", "A"),
        ("○3番(山田太郎君)", "議員", "山田太郎"),
        ("○山田太郎君", "議員", "山田太郎"),
        ("服部座長", "座長", "服部"),
        ("岸田内閣総理大臣", "大臣", "岸田"),
    ],
)
def test_labels_split_into_role_and_name(label, role, name):
    speaker = parse_label(label)
    assert (speaker.role, speaker.name) == (role, name)


@pytest.mark.parametrize(
    "garbled, role", [("長委員", "委員長"), ("局務事", "事務局"), ("長会", "会長"), ("長員委副", "副委員長")]
)
def test_garbled_labels_map_to_the_role_with_those_characters(garbled, role):
    assert canonical_role(garbled) == role
    assert parse_label(garbled).role == role


@pytest.mark.parametrize(
    "text", ["委員長、副委員長をそれぞれ選任。", "事務局から資料に基づき説明。", "拍手", "令和5年度の予算について", ""]
)
def test_sentences_are_not_labels(text):
    assert parse_label(text) is None


def test_the_vocabulary_is_one_list_with_longer_roles_winning():
    assert canonical_role("副委員長") == "副委員長"
    assert canonical_role("産業労働局長") == "局長"
    assert len(ROLES) == len(set(ROLES))


def test_surname_labels_resolve_to_the_one_full_name_in_the_attendance_list():
    from indexer.parse.roles import attendance_names, resolve_full_names

    header = "出席委員 五名\n委員長山下 太郎君\n副委員長川口花子君\n理事いのつめまさみ君\n田中 晃君\n田中 健君"
    assert attendance_names(header) == ["山下 太郎", "川口花子", "いのつめまさみ", "田中 晃", "田中 健"]
    assert resolve_full_names(header, ["山下", "川口", "田中", "田中(晃)", "佐藤", None]) == [
        "山下太郎",
        "川口花子",
        "田中",
        "田中晃",
        "佐藤",
        None,
    ]  # 田中 alone is ambiguous
    assert parse_label("田中（晃）委員長").name == "田中(晃)"
