"""Closed vocabularies of the consultation record, with the labels users see in zh_CN and en.

The Chinese labels are the ones the record template (客户交流记录表) uses, so agents recognise them.
"""

from __future__ import annotations

import enum

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


class LabelledEnum(enum.StrEnum):
    """A string enum whose members carry a Chinese and an English label."""

    def __new__(cls, value: str, zh: str, en: str) -> LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member.zh = zh
        member.en = en
        return member

    def label(self, locale: str | None) -> str:
        return self.zh if (locale or "").lower().startswith("zh") else self.en

    def label_lazy(self) -> LazyString:
        """The label in the language of the request that shows it (English outside one), for marked messages."""
        return LazyString(lambda: self.label(str(get_locale() or "en")))

    @classmethod
    def values(cls) -> list[str]:
        return [member.value for member in cls]

    @classmethod
    def parse(cls, raw: object) -> LabelledEnum:
        """Accept the stored value, the English or the Chinese label (case-insensitive)."""
        if isinstance(raw, cls):
            return raw
        text = str(raw).strip()
        folded = text.lower().replace("-", "_").replace(" ", "_")
        for member in cls:
            if folded == member.value or text == member.zh or folded == member.en.lower().replace(" ", "_"):
                return member
        raise ValueError(
            _l("Unknown value %(value)s; allowed: %(allowed)s.", value=repr(text), allowed=", ".join(cls.values()))
        )


class Channel(LabelledEnum):
    PHONE = ("phone", "电话", "Phone")
    ONLINE_CHAT = ("online_chat", "在线客服", "Online chat")
    EMAIL = ("email", "邮件", "Email")
    IN_PERSON = ("in_person", "面谈", "In person")
    SOCIAL_MEDIA = ("social_media", "社交媒体", "Social media")
    WEB = ("web", "网页自助", "Web self-service")
    OTHER = ("other", "其他", "Other")


class Status(LabelledEnum):
    OPEN = ("open", "处理中", "Open")
    PENDING = ("pending", "待跟进", "Pending")
    TRANSFERRED = ("transferred", "需转交", "Transferred")
    RESOLVED = ("resolved", "已解决", "Resolved")
    UNRESOLVABLE = ("unresolvable", "无法解决", "Unresolvable")


class Priority(LabelledEnum):
    LOW = ("low", "低", "Low")
    MEDIUM = ("medium", "中", "Medium")
    HIGH = ("high", "高", "High")
    URGENT = ("urgent", "紧急", "Urgent")


class Emotion(LabelledEnum):
    CALM = ("calm", "平静", "Calm")
    DISSATISFIED = ("dissatisfied", "不满", "Dissatisfied")
    ANXIOUS = ("anxious", "焦虑", "Anxious")
    IMPATIENT = ("impatient", "急躁", "Impatient")
    ANGRY = ("angry", "愤怒", "Angry")
    OTHER = ("other", "其他", "Other")


class CustomerType(LabelledEnum):
    INDIVIDUAL = ("individual", "个人客户", "Individual")
    ENTERPRISE = ("enterprise", "企业客户", "Enterprise")


class CustomerTier(LabelledEnum):
    REGULAR = ("regular", "普通客户", "Regular")
    VIP = ("vip", "VIP客户", "VIP")
    STRATEGIC = ("strategic", "战略客户", "Strategic")


class Role(LabelledEnum):
    AGENT = ("agent", "客服", "Agent")
    SUPERVISOR = ("supervisor", "主管", "Supervisor")
    TRAINER = ("trainer", "培训师", "Trainer")
    ADMIN = ("admin", "管理员", "Administrator")


class Language(LabelledEnum):
    ZH = ("zh", "中文", "Chinese")
    EN = ("en", "英文", "English")


#: Satisfaction levels as the template names them; None means 未评价 / not rated.
SATISFACTION_LABELS = {
    5: ("非常满意", "Very satisfied"),
    4: ("满意", "Satisfied"),
    3: ("一般", "Neutral"),
    2: ("不满意", "Dissatisfied"),
    1: ("非常不满意", "Very dissatisfied"),
}
NOT_RATED_LABELS = ("未评价", "Not rated")
