"""Where the deal stands, from the words of one visit message (the stage hint of a ``VisitDraft``).

Stage hints follow keyword families (报价/方案 → evaluation, 谈判/议价 → negotiation, 签约/下单/中标 → won,
丢单/黄了/没戏 → lost). A negated won word ("还没签") or one said as an intention ("准备下周签约") is
negotiation, never won; "没中标" is lost. With several families the later stage of the funnel wins
(lost/won > negotiation > evaluation > lead); between won and lost, the later one in the message (it tells
events in order). The caller reads the words with their sentence first (``visit_fields.stage_text`` /
``pending``): a deal word is won only when done (签了, 已经下单), not when set in the future or under someone's
will (下周五签合同, 催了下盖章); clauses about someone else, another phase, a worry or a past deal are blanked.
How a stage is labelled: docs/visit-stage-convention.md.

Written by hand: these are the words our reps use for a deal's progress, which no library models.
"""

from __future__ import annotations

import re

from domain.models import Stage
from handlers.understand.visit_fields import conditional, pending

_STAGE_WORDS: tuple[tuple[Stage, str], ...] = (
    (
        Stage.LOST,
        # not 寄丢了 / 弄丢了 (something mislaid)
        r"(?<![寄弄搞])丢了|丢单|黄了|没戏|凉了|凉凉|谈崩|选了别家|选别家|用了别家|找了别家|定了别家|选了竞品|用了竞品|被抢了|被截胡|"
        r"落标|没中标|未中标|输了|放弃了|不做了|不考虑了|不合作了|项目取消|取消了项目|砍掉了|"
        r"(?:和|跟|与)(?:别家|别人|竞品|竞争对手)签|签了(?:别家|别人|竞品)|"
        r"\blost\b(?:\s+\S+){0,3}?\s+(?:deal|bid|tender|order|project|opportunity)|\bwe lost\b|"
        r"\b(?:chose|went with|picked|selected)\s+(?:a|an|another|the other|other|their own|a cheaper)\b|\bdropped us\b|"
        r"\b(?:chose|went with|picked|selected)\s+(?:our\s+|the\s+)?competitors?\b|"
        r"\b(?:project|deal|budget)\s+(?:(?:is|was|got|has been)\s+)?(?:cancel+ed|killed|dead|lost|gone)",
    ),
    (
        Stage.WON,
        # (not 「问了下单价」: 下 + 单价)
        # (「下周五给PO」: an order given, to come, reads as negotiation through _INTENT below)
        r"签约|签了|签下|签单|签合同|合同签|成交|下单(?!价)|给(?:我们)?(?:个)?(?:po|订单)(?![a-z])|下了单|中标|拿下|订单下来|打款了|付了预付款|付预付款了|确认了?(?:订单|po)|"
        r"签(?=$|[,，。;；!！\s]|成)|签[^,，。;；!！?？\s]{1,4}?(?:合同|协议)|"
        # Separable verb-object words with the aspect particle inside (签了约, 下了三台的单): the particle is
        # what makes the split form, so it is required and the words between are free.
        r"签[了过][^,，。;；!！?？\s]{0,3}?约|下[了过][^,，。;；!！?？\s]{0,6}?单|下了?(?:正式|采购)?订单|(?<=[先再要能会备算就])下个(?:正式|采购)?订单|"
        r"\bsigned\b|\bwon\s+(?:the\s+)?(?:deal|bid|tender|order|project|contract)|\bclosed\s+(?:the\s+)?deal|"
        r"\bdeal\s+closed|\b(?:po|purchase order|order)\s+(?:(?:is|was|has been|had been|got|been)\s+)?(?:received|issued|placed|confirmed|signed)|"
        # 「PO for 300 pcs confirmed」, 「confirmed the order」
        r"\b(?:po|order)\b[^,.;]{1,25}?\bconfirmed\b|\bconfirmed\s+(?:the\s+|our\s+|an?\s+)?(?:po|order)\b",
    ),
    (
        Stage.NEGOTIATION,
        r"谈判|议价|砍价|压价|还价|比价|商务条款|合同条款|付款方式|付款条件|账期|折扣|降价|让利|谈价|价格谈|"
        r"嫌贵|太贵|审合同|合同评审|合同流程|走合同|合同细节|商务谈|谈合同|谈了?价格|价格(?:还要|还得|要)?再谈|价格(?:还|也)?(?:要|得|需要)谈|"
        # a cut asked in figures (「要求在原报价基础上降3万」), payment terms (「不同意预付30% 只能货到付款」, 「月结90天」)
        r"降[\d一二两三四五六七八九十]+(?:万|千|个点|%|块)|货到付款|预付[\d一二两三四五六七八九十]|月结|"
        r"价格问题|价格方面|价格.{0,4}谈妥|再降|降一点|(?:价格|报价|价钱).{0,6}(?:太高|偏高|高了)|"
        # 「聊了传感器的价格」, 「价格还需要再商量」, 「报价38万可以接受」, 「合同金额定在…」, 「合同草稿」
        r"(?:聊|谈|讨论|沟通)了?[^,，。;；!！?？\s]{0,6}(?:价格|单价)|价格[^,，。;；!！?？]{0,6}(?:商量|协商|分歧|再议|再谈|谈谈|谈一谈|再聊)|"
        r"(?:报价|价格|价钱|万)[^,，。;；!！?？]{0,3}(?:可以|能)接受|合同金额[^,，。;；!！?？\s]{0,2}定|合同草稿|合同[^,，。;；!！?？]{0,3}定下来|"
        r"\bnegotiat|\bdiscount|\bpricing\b|\bprice\b|\bpayment terms|\bcontract terms|\bbargain|"
        r"\btoo expensive|\bcounter-?offer|"
        r"(?:谈|砍|压|还)[了过][^,，。;；!！?？\s]{0,4}?价|让[了过][^,，。;；!！?？\s]{0,3}?利|"
        r"(?:比|谈|砍|压)(?:了|过)?[一两几]?(?:轮|次|下|回)价|"
        # chosen, not yet signed (「定了用我们」, 「李总拍板了用我们」), the price pushed down (「让我们降一降」), the
        # contract waiting on their approval (「合同他们总监那边还没批」)
        r"(?:定了?|决定|确定|拍板了?|选了?)用我们|降一降|降降价|合同[^,，。;；!！?？]{0,8}?(?:还没批|没批完|在批|审批中|在审)",
    ),
    (
        Stage.EVALUATION,
        r"报个?价|重新报|方案|询价|问价|问了?(?:一?下)?(?:单价|价格|价钱)|试用|测试|样品|样机|送样|打样|演示|选型|技术交流|技术参数|参数|规格书|demo|poc|招标|投标|"
        # supplier qualification (「填了供应商调查表」, 「审了我们的资质」), a unit price named (「单价2.8万 要20台」)
        r"调查表|资质|准入|单价\s*[\d一二两三四五六七八九十]|"
        r"需求调研|调研|技术澄清|澄清会|样板|勘[测察查]|评审|\bquot(?:e|ation)|\bsample|\btrial\b|\bproposal|"
        r"\btest(?:s|ing|ed)?\b|\bpoc\b|\brf[qip]\b|\btender\b|\bevaluat|\bspecs?\b|\btechnical\b|"
        # 送了三个样, 打过一次样, 报了个价; a figure quoted (报了85万, 报了一百零五万) is a quote
        r"(?:送|打|寄)[了过完][^,，。;；!！?？\s]{0,4}?样(?!本)|[报询][了过][^,，。;；!！?？\s]{0,3}?价|"
        # 报一个含安装的总价: the measure word splits it too; 投了标
        r"报(?:了|过)?(?:一|两|几)?个[^,，。;；!！?？\s]{0,6}?价|投[了过][^,，。;；!！?？\s]{0,3}?标|"
        r"报(?:了|过|的)?(?:个|一个)?\s*(?:[\d.,]+|[零一二两三四五六七八九十百千]+)\s*(?:万|w|k|元|块)",
    ),
    (
        Stage.LEAD,
        r"初次拜访|第一次拜访|首次拜访|第一次见|初次见|初次接触|初步接触|陌拜|新客户|认识一下|破冰|"
        r"\bfirst\s+(?:meeting|visit|contact|call|time)\b|\bnew\s+project\b|\bintro(?:duction|duced|ductory)?\b|\binitial\s+(?:meeting|contact|call)|\bcold\s+call",
    ),
)
# ASCII word boundaries: 「price还要再negotiate」 has English words against Chinese characters with no blank.
_STAGE_RX = [(stage, re.compile(words, re.IGNORECASE | re.ASCII)) for stage, words in _STAGE_WORDS]
_STAGE_ORDER = {Stage.LOST: 5, Stage.WON: 5, Stage.NEGOTIATION: 3, Stage.EVALUATION: 2, Stage.LEAD: 1}
_NEGATION = re.compile(r"(?:没|未|不|别|无|非|尚未|还没|没有|不能|不会|不一定|难以)[^,，。;；!！?？\s]{0,2}$")
# English: 「not signed yet」, 「haven't received the PO」 (the word before, across its blank); 「will be signed」,
# 「waiting for the PO」 are still to come.
_INTENT_EN = re.compile(
    r"\b(?:will|going to|to be|shall|expect(?:s|ed)? to|waiting for|wait for|plan(?:s|ned)? to|about to|ready to)\s+(?:\w+\s+){0,2}$",
    re.I,
)
_ASKING_EN = re.compile(r"\bask(?:s|ed|ing)?\s+(?:for\s+)?(?:the\s+|a\s+|our\s+)?$", re.I)
_NEGATION_EN = re.compile(r"\b(?:not|no|never|haven't|hasn't|didn't|don't|won't|yet to)\s+(?:\w+\s+)?$", re.I)
_INTENT = re.compile(
    r"(?:准备|计划|预计|争取|等|待|要|希望|有望|打算|可能|应该|尽快|如果|能否|是否|约|安排|推进|催|走|年底|月底|月初|月中|年前|年后|这周|本周|下周|"
    r"明天|后天|下个?月|(?<!上)周[一二三四五六日天]|号|再|然后|之后)[^,，。;；!！?？\s]{0,6}$"
)
# 「签约仪式搞完了」: the ceremony or process of the deal word, finished.
_FOLLOWER_DONE = re.compile(r"(?:仪式|流程|手续|事宜)[^,，。;；!！?？\s]{0,2}?(?:搞完|办完|走完|结束|完成|完毕|弄完|做完)")
_CANDIDATE = re.compile(r"^(?:候选|预中标|排名)")
_WON_FOLLOWERS = re.compile(r"^(?:前|之前|的事|流程|时间|事宜|仪式)")
# "签了保密协议/NDA/意向书", "签到": signing something that is not the deal.
_NOT_DEAL = re.compile(r"^了?(?:个|份)?(?:保密|nda|意向|到|字确认|收|廉洁|阳光|质量|安全|环保|供应商协议|准入)", re.IGNORECASE)
_CONDITIONAL = re.compile(r"如果|要是|假如|否则|不然|万一|的话")
_SIDE_PAPER = re.compile(r"技术协议|保密协议|意向书|nda", re.I)
# The passive with another supplier as the agent (被竞品拿下, 被一家本地公司签走), not 「被客户催着签」.
_BY_ANOTHER = re.compile(
    r"被(?:竞品|竞争对手|对手|友商|别家|别人|人家|同行|其他家|另一家|[\u4e00-\u9fff]{0,4}(?:公司|厂家|厂商|品牌))$"
)
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不没]\1")
_NOT_LOST_BEFORE = re.compile(r"(?:不会|没有|不是|差点|险些|怕|担心|以免|避免)$")


def _denied(stage: Stage, before: str) -> bool:
    """Whether the words before a (non-won) stage keyword cancel it.

    "不需要报价" is no evaluation; "不是丢单", "差点丢单", "如果…就没戏了" are no loss.
    """
    if stage is Stage.LOST:
        return bool(_NOT_LOST_BEFORE.search(before) or _CONDITIONAL.search(before))
    # An A-not-A question (「问能不能先试用」) asks; it denies nothing.
    return bool(_NEGATION.search(_A_NOT_A.sub("", before)[-3:]))


def find_stage_hint(text: str) -> Stage | None:
    best: Stage | None = None
    best_at = -1
    for stage, rx in _STAGE_RX:
        for m in rx.finditer(text):
            clause_start = max(text.rfind(c, 0, m.start()) for c in ",，。;；!！?？ \n") + 1
            before = text[clause_start : m.start()]
            found = stage
            english_denied = bool(_NEGATION_EN.search(text[max(0, m.start() - 20) : m.start()]))
            if stage is Stage.WON:
                after = text[m.end() : m.end() + 4]
                if m.group().startswith("签") and _NOT_DEAL.match(text[m.start() + 1 : m.start() + 6]):
                    continue
                if _SIDE_PAPER.search(before):
                    continue  # 「技术协议签了」: an agreement that is not the deal, named first
                if _CANDIDATE.match(after):
                    found = Stage.EVALUATION  # 「中标候选人公示了」: ranked, not awarded
                elif _BY_ANOTHER.search(before):
                    found = Stage.LOST  # 「被竞品拿下」, 「被别人签走了」: someone else's deal
                    if best is None or _STAGE_ORDER[found] >= _STAGE_ORDER[best]:
                        best, best_at = found, m.start()
                    continue
                elif _NEGATION.search(before) or english_denied:
                    found = Stage.LOST if m.group() == "中标" else Stage.NEGOTIATION
                elif (
                    _INTENT.search(before)
                    or (_WON_FOLLOWERS.search(after) and not _FOLLOWER_DONE.match(text, m.end()))
                    or pending(text, m.start(), m.end())
                    or _INTENT_EN.search(text[max(0, m.start() - 30) : m.start()])
                ):
                    found = Stage.NEGOTIATION
            elif _denied(stage, before) or english_denied or (stage is Stage.LOST and conditional(text, m.start())):
                continue
            elif stage is Stage.NEGOTIATION and _ASKING_EN.search(text[max(0, m.start() - 20) : m.start()]):
                found = Stage.EVALUATION  # 「asking for price」: an inquiry, no pushback
            if best is None or _STAGE_ORDER[found] > _STAGE_ORDER[best]:
                best, best_at = found, m.start()
            elif found is not best and _STAGE_ORDER[found] == _STAGE_ORDER[best] == 5 and m.start() > best_at:
                best, best_at = found, m.start()  # won and lost: the later one is the outcome (签了 后来又黄了)
    return best
