"""Ukrainian national transliteration (CMU resolution 55 of 2010) and the folding used to match."""

import pytest

from nezlam.domain.transliteration import fold, skeleton, transliterate

# The examples printed in the official table, one per rule.
OFFICIAL_EXAMPLES = [
    ("Алушта", "Alushta"),
    ("Борщагівка", "Borshchahivka"),
    ("Вінниця", "Vinnytsia"),
    ("Гадяч", "Hadiach"),
    ("Згорани", "Zghorany"),
    ("Ґалаґан", "Galagan"),
    ("Єнакієве", "Yenakiieve"),
    ("Житомир", "Zhytomyr"),
    ("Закарпаття", "Zakarpattia"),
    ("Медвин", "Medvyn"),
    ("Іршава", "Irshava"),
    ("Їжакевич", "Yizhakevych"),
    ("Кадиївка", "Kadyivka"),
    ("Йосипівка", "Yosypivka"),
    ("Стрий", "Stryi"),
    ("Олексій", "Oleksii"),
    ("Київ", "Kyiv"),
    ("Лебедин", "Lebedyn"),
    ("Миколаїв", "Mykolaiv"),
    ("Ніжин", "Nizhyn"),
    ("Одеса", "Odesa"),
    ("Полтава", "Poltava"),
    ("Ромни", "Romny"),
    ("Суми", "Sumy"),
    ("Тетерів", "Teteriv"),
    ("Ужгород", "Uzhhorod"),
    ("Фастів", "Fastiv"),
    ("Харків", "Kharkiv"),
    ("Біла Церква", "Bila Tserkva"),
    ("Чернівці", "Chernivtsi"),
    ("Шостка", "Shostka"),
    ("Гоща", "Hoshcha"),
    ("Юрій", "Yurii"),
    ("Корюківка", "Koriukivka"),
    ("Яготин", "Yahotyn"),
    ("Костянтин", "Kostiantyn"),
    ("Знам'янка", "Znamianka"),
    ("Феодосія", "Feodosiia"),
]


@pytest.mark.parametrize(("cyrillic", "latin"), OFFICIAL_EXAMPLES)
def test_official_examples_transliterate_as_the_resolution_prints_them(cyrillic, latin):
    assert transliterate(cyrillic) == latin


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Євген Яременко", "Yevhen Yaremenko"),  # every word starts afresh
        ("Андрієвський", "Andriievskyi"),
        ("Юрій-Ярослав", "Yurii-Yaroslav"),  # a hyphen starts a word too
        ("Розгон", "Rozghon"),  # зг inside a word
        ("Згурівка", "Zghurivka"),
        ("Знам’янка", "Znamianka"),  # the typographic apostrophe
        ("Знамʼянка", "Znamianka"),  # the modifier-letter apostrophe
        ("Тарасівна", "Tarasivna"),
        ("Львів", "Lviv"),  # the soft sign is dropped
    ],
)
def test_positional_rules_and_dropped_signs(cyrillic, latin):
    assert transliterate(cyrillic) == latin


def test_capitals_follow_the_word():
    assert transliterate("ЩОРС") == "SHCHORS"
    assert transliterate("Щорс") == "Shchors"
    assert transliterate("ЮРІЙ") == "YURII"


def test_text_that_is_not_cyrillic_passes_through():
    assert transliterate("Städtle 43, Vaduz") == "Städtle 43, Vaduz"
    assert transliterate("вул. Хрещатик, 22") == "vul. Khreshchatyk, 22"


def test_decomposed_letters_are_composed_first():
    # й and ї typed as и / і plus a combining mark must still be one letter each.
    assert transliterate("Киї\u0308в".replace("ї\u0308", "і\u0308")) == "Kyiv"
    assert transliterate("Стрии\u0306") == "Stryi"


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Хрещатик", "khreshchatyk"),
        ("KHRESHCHATYK", "khreshchatyk"),
        ("Städtle", "stadtle"),
        ("Liechtensteiner Straße", "liechtensteiner strasse"),
        ("Dr. Albert Schädler-Strasse", "dr albert schadler strasse"),
        ("O'Brien  Street", "obrien street"),
        ("вул. Хрещатик, 22", "vul khreshchatyk 22"),
        ("Знам'янка", "znamianka"),
        ("Łódź", "lodz"),
    ],
)
def test_fold_gives_lower_ascii_words(text, folded):
    assert fold(text) == folded


def test_russian_letters_fold_to_latin_too():
    assert fold("Крым") == "krym"
    assert fold("Объединённый") == "obedynionnyi"
    assert fold("Киев") == "kyev"


@pytest.mark.parametrize("variant", ["Khreschatyk", "Хрешатик", "khreshchatyk", "Khreshchatik"])
def test_transliteration_variants_share_a_skeleton(variant):
    assert skeleton(fold(variant)) == skeleton(fold("Хрещатик"))


def test_skeleton_keeps_different_names_apart_and_digits_intact():
    assert skeleton(fold("Хрещатик")) != skeleton(fold("Харків"))
    assert skeleton(fold("22")) == "22"
