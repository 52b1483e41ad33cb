"""Every enumerated value of the domain with its Chinese label: the one place labels live."""

from mediation.models.base import Labelled


class OrgKind(Labelled):
    BUREAU = "bureau", "司法局"
    OFFICE = "office", "司法所"
    COMMITTEE = "committee", "人民调解委员会"


class CommitteeKind(Labelled):
    VILLAGE = "village", "村（居）民委员会人民调解委员会"
    TOWN = "town", "乡镇（街道）人民调解委员会"
    ENTERPRISE = "enterprise", "企事业单位人民调解委员会"
    TRADE = "trade", "行业性、专业性人民调解委员会"


class Role(Labelled):
    DIRECTOR = "director", "调委会主任"
    MEDIATOR = "mediator", "人民调解员"
    GRID = "grid", "网格员"
    AUDITOR = "auditor", "司法行政审核人员"
    ADMIN = "admin", "系统管理员"
    # A committee's own account for what arrives without a person signing in (an online
    # application): it registers the case; it cannot log in and has no rights.
    CHANNEL = "channel", "网上申请（系统账户）"


class CaseStatus(Labelled):
    SUBMITTED = "submitted", "申请/上报"
    ACCEPTED = "accepted", "已受理"
    MEDIATING = "mediating", "调解中"
    AGREED = "agreed", "已达成协议"
    FOLLOWED_UP = "followed_up", "已回访"
    CLOSED = "closed", "已结案"
    ARCHIVED = "archived", "已归档"
    REJECTED = "rejected", "不予受理"
    WITHDRAWN = "withdrawn", "已撤回"
    TERMINATED = "terminated", "调解终止"


class Category(Labelled):
    MARRIAGE = "marriage", "婚姻纠纷"
    FAMILY = "family", "家庭纠纷"
    NEIGHBOUR = "neighbour", "邻里纠纷"
    HOUSING = "housing", "房屋宅基地纠纷"
    CONTRACT = "contract", "合同纠纷"
    BUSINESS = "business", "生产经营纠纷"
    DAMAGES = "damages", "损害赔偿纠纷"
    LABOUR = "labour", "劳动争议纠纷"
    LAND = "land", "山林土地纠纷"
    EXPROPRIATION = "expropriation", "征地拆迁纠纷"
    POLLUTION = "pollution", "环境污染纠纷"
    MEDICAL = "medical", "医疗纠纷"
    PROPERTY_MGMT = "property_mgmt", "物业纠纷"
    TRAFFIC = "traffic", "道路交通事故纠纷"
    CONSUMER = "consumer", "消费纠纷"
    OTHER = "other", "其他纠纷"


class Source(Labelled):
    APPLICATION = "application", "当事人申请"
    INITIATIVE = "initiative", "主动调解"
    GRID_REPORT = "grid_report", "网格员排查上报"
    COURT = "court", "法院委派/委托"
    POLICE = "police", "公安移交"
    PETITION = "petition", "信访转办"
    DEPARTMENT = "department", "其他部门移交"


class ApiClientKind(Labelled):
    """Who an API client is: the bodies that refer cases (诉调/警调/访调对接, other
    departments) and the provincial platform, which only reads statistics."""

    COURT = "court", "人民法院"
    POLICE = "police", "公安机关"
    PETITION = "petition", "信访部门"
    DEPARTMENT = "department", "其他部门"
    PROVINCE = "province", "省级平台"

    @property
    def source(self) -> "Source | None":
        """The case source a referral of this kind of body is registered with; the
        province refers nothing."""
        return {
            "court": Source.COURT, "police": Source.POLICE, "petition": Source.PETITION,
            "department": Source.DEPARTMENT,
        }.get(self.value)  # fmt: skip


class FeedbackMethod(Labelled):
    """How the 反馈函 on a referred case reached the body that referred it."""

    MAIL = "mail", "邮寄"
    IN_PERSON = "in_person", "当面送达"
    E_GOVERNMENT = "e_government", "电子政务"
    FAX = "fax", "传真"
    OTHER = "other", "其他"


class RiskLevel(Labelled):
    LOW = "low", "一般"
    MEDIUM = "medium", "较大"
    HIGH = "high", "重大（可能激化）"


class Publicity(Labelled):
    """Whether the mediation is held in public (旁听 allowed) or not; the parties choose
    (Art. 23; 《人民调解工作若干规定》第二十九条)."""

    PUBLIC = "public", "公开调解"
    PRIVATE = "private", "不公开调解"


class OtherAuthority(Labelled):
    """Whether another authority already holds the dispute (rule 2: then it is not accepted)."""

    NONE = "none", "无"
    SPECIALISED = "specialised", "依法应由专门机关处理"
    COURT = "court", "法院已受理或已判决"
    POLICE = "police", "公安机关已受理或已处理"
    ADMINISTRATIVE = "administrative", "行政机关已受理或已处理"


class PartyRole(Labelled):
    APPLICANT = "applicant", "申请人"
    RESPONDENT = "respondent", "被申请人"


class PartyKind(Labelled):
    PERSON = "person", "自然人"
    ORGANISATION = "organisation", "法人或其他组织"


class Sex(Labelled):
    MALE = "male", "男"
    FEMALE = "female", "女"


class EventKind(Labelled):
    CREATED = "created", "登记"
    EDITED = "edited", "修改"
    TRANSITION = "transition", "状态变更"
    REFUSAL = "refusal", "当事人拒绝调解"
    ASSIGNED = "assigned", "指派调解员"
    UNASSIGNED = "unassigned", "调解员退出"
    SESSION = "session", "调解记录"
    INVESTIGATION = "investigation", "调查记录"
    RECORD_EDITED = "record_edited", "修改记录"
    ATTACHMENT = "attachment", "上传附件"
    PARTICIPANT = "participant", "邀请参与调解"
    RELATION = "relation", "登记调解员与当事人关系"
    RECUSAL = "recusal", "回避申请"
    RECUSAL_DECIDED = "recusal_decided", "回避决定"
    RISK = "risk", "风险防控"
    POLICE_REPORT = "police_report", "报告公安机关"
    TRANSFER = "transfer", "移交/上报"
    TRANSFER_DECIDED = "transfer_decided", "接收移交"
    JOINT = "joint", "共同受理"
    AGREEMENT = "agreement", "调解协议"
    AGREEMENT_EFFECTIVE = "agreement_effective", "协议生效"
    FOLLOW_UP = "follow_up", "回访"
    COURT_REFERRAL = "court_referral", "引导诉讼"
    REMEDIES_INFORMED = "remedies_informed", "告知救济途径"
    RIGHTS_NOTICE = "rights_notice", "告知权利义务"
    RISK_REASON = "risk_reason", "未采取防控措施的说明"
    CONFIRMATION = "confirmation", "司法确认"
    EXTENSION = "extension", "延长期限"
    INSTRUCTION = "instruction", "督办"
    INSTRUCTION_ANSWERED = "instruction_answer", "督办回复"
    REMINDER = "reminder", "催办"
    DISPATCHED = "dispatched", "交办"
    DESK_REPLY = "desk_reply", "答复来源（并口回复）"
    ADDENDUM = "addendum", "归档后补充说明"
    DOCUMENT = "document", "生成文书"
    VIEWED_PERSONAL = "viewed_personal", "查看完整个人信息"
    REVIEW = "review", "案卷评查"
    REVIEW_ANSWER = "review_answer", "评查补正"
    FEEDBACK_SENT = "feedback_sent", "向委派/移交单位反馈"
    APPOINTMENT = "appointment", "安排调解"
    APPOINTMENT_CHANGED = "appointment_changed", "调整调解安排"
    APPOINTMENT_CANCELLED = "appointment_cancelled", "取消调解安排"


class ParticipantKind(Labelled):
    RELATIVE = "relative", "亲属"
    NEIGHBOUR = "neighbour", "邻里"
    COLLEAGUE = "colleague", "同事"
    EXPERT = "expert", "专业人员"
    LAWYER = "lawyer", "律师"
    OTHER = "other", "其他人员"


class RecusalDecision(Labelled):
    PENDING = "pending", "待决定"
    ACCEPTED = "accepted", "同意回避"
    REJECTED = "rejected", "不同意回避"


class TransferKind(Labelled):
    TRANSFER = "transfer", "移交其他调委会"
    ESCALATE = "escalate", "上报乡镇（街道）调委会"


class TransferStatus(Labelled):
    PENDING = "pending", "待接收"
    ACCEPTED = "accepted", "已接收"
    DECLINED = "declined", "已退回"


class AgreementKind(Labelled):
    WRITTEN = "written", "书面协议"
    ORAL = "oral", "口头协议"


class AgreementStatus(Labelled):
    AWAITING_SIGNATURE = "awaiting_signature", "待签字盖章"
    EFFECTIVE = "effective", "已生效"
    SUPERSEDED = "superseded", "已被新协议取代"


class Performance(Labelled):
    PERFORMED = "performed", "已履行"
    PARTIAL = "partial", "部分履行"
    NOT_PERFORMED = "not_performed", "未履行"


class Satisfaction(Labelled):
    SATISFIED = "satisfied", "满意"
    MOSTLY = "mostly", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"


class ConfirmationResult(Labelled):
    PENDING = "pending", "审查中"
    CONFIRMED = "confirmed", "裁定确认有效"
    REJECTED = "rejected", "裁定驳回申请"


class AttachmentKind(Labelled):
    EVIDENCE = "evidence", "证据材料"
    PHOTO = "photo", "现场照片"
    SCAN = "scan", "扫描件"
    SIGNED_AGREEMENT = "signed_agreement", "签字盖章的协议书"
    IDENTITY = "identity", "当事人身份证明"  # bound into the case file (卷宗)


class GridReportKind(Labelled):
    REPORT = "report", "纠纷上报"
    ZERO = "zero", "零上报（排查未发现纠纷）"


class GridReportOutcome(Labelled):
    PENDING = "pending", "待处理"
    CASE = "case", "已转为案件"
    RESOLVED = "resolved", "已就地化解"


class DeskSource(Labelled):
    """Who brought a dispute to a justice office's or the bureau's desk (受理窗口)."""

    VISIT = "visit", "来访"
    CALL = "call", "来电"
    PETITION = "petition", "信访"
    DEPARTMENT = "department", "部门转来"
    OTHER = "other", "其他"


class DeskAction(Labelled):
    """What happened to a desk entry; each is one entry of its history (audit chain)."""

    REGISTERED = "registered", "窗口登记"
    DISPATCHED = "dispatched", "交办"
    SENT_OUTSIDE = "sent_outside", "转其他机关办理"
    OUTSIDE_ANSWERED = "outside_answered", "其他机关答复"
    REMINDED = "reminded", "催办"
    REPLIED = "replied", "答复来源"


class AppointmentStatus(Labelled):
    SCHEDULED = "scheduled", "已安排"
    HELD = "held", "已举行"
    CANCELLED = "cancelled", "已取消"
