"""Second look at a parsed visit: how it happened (channel), the contact's title as written, and the
stage phrases reps use that the first pass misses.

Kept apart from ``visit_text`` (which the customer-matching work also edits) so both can change
without conflicts; ``parse_visit`` calls :func:`refine` once at its end.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

from domain.customer_mentions import common_reading, readings
from domain.models import Stage
from handlers.understand.contacts import SURNAME_SAID
from handlers.understand.notes import closed_words
from handlers.understand.titles import (
    RANK,
    TITLE,
    TITLE_TEXT,
    close_title_gaps,
    fix_typos,
    title_after,
    title_before,
    title_later,
)

if TYPE_CHECKING:
    from handlers.understand.visit_text import VisitDraft

_CHANNELS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # A WeChat video or voice call is WeChat, the app the rep names (the card's 「微信」), not a meeting.
    ("wechat", re.compile(r"微信(?:视频|语音通话|语音电话|电话)")),
    # A video call or a remote session is a meeting even when it looks at the site (「钉钉视频 远程看了现场的问题」,
    # 「打视频电话看了下样机」).
    ("meeting", re.compile(r"视频电话|视频通话|视频连线|语音会议|电话会议?(?![^,，。;；\s]?[说打])|远程|线上|在线|video\s*(?:call|chat|meeting|conference)|zoom|teams (?:call|meeting)|腾讯会议", re.I)),
    # A visit word wins: 「去了海康，电话里约了下次」 was a visit.
    ("visit", re.compile(
        # (「去了个电话」 is a call)
        r"(?:第一次|初次|头一次)见(?![过到])|见了面|见面了|拜访|走访|上门|(?<!发过)(?<!寄过)(?<!送过)(?<!传过)去了(?!个?电话|通电话)|跑了趟|见了|面谈|当面|来访|参观|考察|"
        r"展会|展位|(?:大会|论坛|峰会|年会|交流会|研讨会|博览会)上|吃饭|吃了个?饭|饭局|茶叙|喝茶|visited|visit\b|\bmet\b|"
        r"在(?:他们|客户|对方)[^,，。;；!！?？]{0,6}(?:office|plant|factory)|at (?:their|the customer'?s) (?:office|plant|factory|site)",
        re.I,
    )),
    # Said on a remote channel in so many words (「微信上说」, 「电话里讲」): that beats the weak signs of being there
    # below (「在他们那边做的评定」 is where the thing happened, 「现场照片」 came by WeChat).
    ("wechat", re.compile(r"(?:在|用)?微信(?:上|里)(?:说|讲|发|回|问|聊)|wechat(?:ed)? (?:msg|message)", re.I)),
    # A call they made to us (「来电话说现场要整改」, 「打电话过来问交期」) is a call whatever the words about the site.
    ("phone", re.compile(r"电话(?:里|中|上)?(?:说|讲|问|聊)|打来了?(?:说|讲|问|催)|来电话?|打(?:了个?)?电话(?:过来|来)|打来(?:了个?)?电话", re.I)),
    # Weaker signs of being there: a place at the customer's, the site, arriving, going over.
    # 「到了」 as arrived, not 收到了 / 拿到了 / 看到了 (the thing reached someone).
    ("visit", re.compile(
        # (「在他们会议室开了个会」 was there)
        r"在(?:他们|客户|对方)[^,，。;；!！?？\s]{0,4}(?:会议室|办公室|厂里|车间|工厂|那边|那里)|"
        r"(?<![收拿看听想得找办做遇碰接等感受达])到了|现场(?!的?(?:照片|图片|视频))|(?<![发寄送传递带拿给])过去",
        re.I,
    )),
    # 「打了两个电话都没接」 is no call; 「微信语音」 is WeChat.
    ("phone", re.compile(
        # (「微信电话」 is WeChat, 「发个语音」 a voice message, 「打了个语音」 a call)
        r"(?<!微信)(?<!企微)电话(?![^,，。;；!！?？]{0,3}没(?:接|打通|人接))|通话|致电|来电|回电|去电|电联|手机上?聊|拨了|"
        r"(?<!微信)(?<!发)(?<!发个)(?<!发了个)语音(?!消息|留言)|(?<!wechat )(?<!wechat)(?<!zoom )(?<!teams )call(?:ed)?(?![a-z])|phone",
        re.I,
    )),
    ("wechat", re.compile(r"微信|企微|发了?个?语音|语音消息|语音留言|wechat", re.I)),
    # 「开了个项目启动会」: a meeting of any name (not 「去精工开了个会」: there in person)
    ("meeting", re.compile(
        r"视频|腾讯会议|钉钉会|飞书会|线上会|(?:^|[\s,，。;；!！?？])[^去,，。;；!！?？\s]{0,10}?开了[^,，。;；!！?？\s]{0,8}?会(?!议室)|"
        r"会议(?!室)|meeting|zoom|teams",
        re.I,
    )),
    # Written messages in other apps: 短信, QQ, 钉钉上 / 飞书群里 (after their meetings: 「在钉钉上开了个会」).
    # 「发消息说…」, 「给他留了言」: a written message, whatever the app.
    ("wechat", re.compile(
        r"短信|qq|(?:钉钉|飞书)(?=上|里|群|消息|留言|发)|(?:通过|用)(?:钉钉|飞书)|群里|texted|messaged|\bsms\b|"
        r"发了?[条个]?(?:消息|信息)|回了?[条个]?(?:消息|信息)|留了?言",
        re.I,
    )),
)

# Word families, not exact sentences: an order or a contract that has come through (PO下来了, 订单确认了,
# 合同盖章了, 下了个50k的试单, 首付款到账了) is a won deal.
_WON_PHRASES = re.compile(
    r"我们中了|中标了|我们中标|拿下了|签下来了|合同签了|签约了|赢单|成交了|we won|"
    r"(?:订单|(?<![a-z])po(?![a-z])|合同)(?:已经?|都)?(?:下来|下达|确认|盖章|盖好|回传|下了)|(?:盖好|盖完)章|"
    # 「首批试用订单3.6万已经下了」, 「PO 已下」, 「订单总额 RMB 1.08M」: the order with words between it and its verb
    r"(?:订单|(?<![a-z])po(?![a-z]))[^,，。;；!！?？]{0,10}?(?:已经?|都)(?:下了|下来了|下达|确认)|"
    r"(?:订单|(?<![a-z])po(?![a-z]))\s*已下(?![周月午])|订单(?:总额|金额|总价)|"
    r"(?:订单|(?<![a-z])po(?![a-z]))[^,，。;；!！?？\s]{1,4}?(?:下来|下达)|"
    r"(?:订单|(?<![a-z])po(?![a-z]))[^,，。;；!！?？\s没不未]{1,6}?下(?![周月午个面])|"
    r"下了[^,，。;；!！?？\s]{0,8}?单|下了?(?<![a-z])po(?![a-z])|(?:首付|预付|定金|订金|货款|尾款|[万千元])[^,，。;；!！?？\s]{0,3}到账|"
    r"付了[^,，。;；!！?？\s]{0,5}(?:预付款|首付|定金|订金|货款)|"
    # Money in (预付款…打过来了, 第一笔款到了, 尾款也结了, 定金5万已付), the paperwork done (签完了, 签署完毕,
    # 签字盖章, 双章), an order placed in any wording (下到系统, 采购订单发过来了, 追加订单, 首批订单, 今天下的订单).
    r"(?:预付款|首付款?|定金|订金|货款|尾款|笔款|进度款|付款|首期款?|第一期)[^,，。;；!！?？\s]{0,8}?(?:打过来|到了|到账|结了|已付|已到|收到|付了|收回|回来了|收齐|付清|付齐)|"
    r"签完了|签好了|签署完毕|已经?盖(?:好|完)?章|签署完成|签字盖章|盖了章|盖章了|双章|"
    r"(?:订单|(?<![a-z])po(?![a-z]))[^,，。;；!！?？\s]{0,4}?(?:下到|发过来|发来了)|下的订单|追加了?[^,，。;；!！?？\s]{0,4}订单|"
    r"(?:首批|首单|采购)订单|搞定了|(?:单子|项目|订单)落地|"
    # 合同已归档, 中了！, 货款已结清, 对方已经付款, 开票了, 拿到订单了, 正式合作了, 开始供货, 单子成了, 到账12.6万
    r"合同[^,，。;；!！?？\s]{0,2}归档|中了(?=[!！])|结清|(?:已经?|已)付款|付款了|开票了|开了票|"
    r"拿到了?(?:订单|单子|合同|po)|正式合作了|(?:开始|正式)供货|(?:单子|这单|项目)成了|到账|"
    # 签字了, 订单已下, 续了三年的合同, PO今天发出
    r"签字了|已经?签字|(?:合同|框架|协议|长协)[^,，。;；!！?？\s]{0,2}续(?:了|上|好了|签了)|(?:还是|继续)(?:由)?我们(?:来)?(?:供|做)|(?:订)?单已下|续了[^,，。;；!！?？\s]{0,4}合同|(?:po|订单)[^,，。;；!！?？\s]{0,3}发出|"
    # 合同正式生效, 履约保证金, 打了30%预付, 设备验收通过
    r"生效|履约保证金|打了[^,，。;；!！?？\s]{0,5}(?:预付|首付|定金|订金|货款)|验收(?:通过|完|了|合格)|已经?验收|请款|(?:po|订单)\s*收到|"
    # 首单已经交付, 又追加了两台
    r"已经?交付|(?:首单|首批|货|设备)[^,，。;；!！?？\s]{0,3}交付了?|"
    # the goods shipped (首批货已经发过去了), chosen as the supplier (被选为供应商, 选定我们)
    r"货[^,，。;；!！?？\s]{0,3}发(?:了|过去|出去|走)|(?:单子?|订单|合同)[^,，。;；!！?？\s]{0,2}到手|续(?:上|签|约)了|收到了?[^,，。;；!！?？\s]{0,6}(?:预付款|首付款?|定金|订金|货款|尾款|进度款)|被(?:选|定|确定)为|(?:选定|确定)(?:了)?(?:我们|我司)|追加了?[^,，。;；!！?？\s]{0,3}(?:台|套|批|件)|"
    # 货已经发了, 发票也开了
    r"货已经?发了|已发货|发货了|发票[^,，。;；!！?？\s]{0,2}开了|开了发票|"
    # 中了一个标段, 项目正式开始实施
    r"中了[^,，。;；!！?？\s]{0,4}标|开始实施|正式实施|"
    # 合同走完了, 设备到货 安装调试中
    r"合同(?:都|已经?)?走完了|(?<!样品)(?<!样机)到货(?!数量|情况|时间|日期|进度|单)|(?<![样品机])货(?:已经?|都)?到了|转(?:成|为)?正式(?:订单|合同)|安装调试中|开始安装|"
    # 盖章的合同扫描件, 拿到了正式订单, 回款了, 第一期三十万到了, 由我们供货
    r"盖(?:好|完)?章的合同|合同扫描件|拿到了?[^,，。;；!！?？\s]{0,3}订单|回款|由我们供货|验收入库|已入库|"
    r"(?:第一|首)单下来|上线运行|投入使用|(?:正式)?定了我们(?:做|当|为)|"
    # the paperwork finished in other words (年度协议续签完成, 签署成功), the award named as us (定标了 是我们,
    # 中标单位是我们)
    r"(?:续签|签约|签署|签订|签字|盖章)(?:完成|完毕|成功)|"
    # the seal applied (用印了), the order arrived or released (订单已到, PO已经release), a ceremony held (签约仪式搞完了)
    r"用印了|已经?用印|谈成了|签的(?:字|合同|约)|"
    # the stamped copy back (合同今天盖章回来了), a comparison round won by us (比价我们赢了, 我司胜出)
    r"盖(?:好|完)?章[^,，。;；!！?？\s]{0,2}回来了|(?:我们|我司)[^,，。;；!！?？\s]{0,2}(?:赢了|胜出)|"
    # 「可以先下一个试用订单」 (to come: a negotiation), not 「下个订单估计下个月」 (the next order)
    r"(?<=[先再要能会备算])下(?:一|个|一个)[^,，。;；!！?？\s]{0,6}?(?:订单|的单)|"
    # the order handed to us (客户把订单给我们了), the money in (款到了, 钱也到账了)
    r"把(?:订单|单子|项目|合同|这单)[^,，。;；!！?？\s]{0,3}给(?:了)?(?:我们|我司)了|(?:订单|单子|这单)给了(?:我们|我司)|"
    r"(?:^|(?<=[\s,，。;；!！?？]))款[^,，。;；!！?？\s]{0,2}到(?:了|账)|钱[^,，。;；!！?？\s]{0,2}到(?:了|账)|(?:订单|(?<![a-z])po(?![a-z]))[^,，。;；!！?？\s]{0,3}收到|"
    # 「PO明天发」 (pending, a negotiation) / 「PO发了」 (won)
    r"(?:订单|(?<![a-z])po(?![a-z]))[^,，。;；!！?？\s的]{0,3}?发(?:了|过来|出|下来)?(?![给货])|(?:正式|已经?)签署|签署了|(?:订单|(?<![a-z])po(?![a-z]))[^,，。;；!！?？\s]{0,4}(?:进|录入|下到)了?系统|"
    # money on our account (已打到公司账上), a repeat order (复购了, 又下了100台, 返单), English among Chinese
    r"(?:打到|到了?)[^,，。;；!！?？\s]{0,4}账上|复购|返单|翻单|又下了[^,，。;；!！?？\s]{0,4}(?:台|套|单|批|件|个|万)|用(?:好|完)印|(?:订单|(?<![a-z])po(?![a-z]))\s*(?:已经?到(?!期)|到了|来了)|"
    r"(?:订单|(?<![a-z])po(?![a-z]))[^,，。;；!！?？]{0,6}(?:released?|issued)|"
    # their seal on it (「他们那边章已经盖好了」, 「章 盖好 了」), the PO in hand (「拿到 PO 了」), released (「已经 release 了」)
    r"章[^,，。;；!！?？]{0,6}?盖\s?(?:好|完)\s?了|拿到了?\s?po(?![a-z])|已经?\s?released?(?![a-z])|"
    r"(?:签约|签字|签署)(?:仪式|流程|手续)[^,，。;；!！?？\s]{0,2}?(?:搞完|办完|走完|结束|完成|完毕|弄完|做完)|(?:定标|结果|公示|中标(?:人|单位|方))[^。;；!！?？]{0,6}?(?<![不没])是我们",
    re.I,
)
# Lost: beaten by someone (被…抢了 / 截胡 / 输给…), not chosen (不考虑我们, 没选我们), the customer does it
# itself (他们自己做), the project is off.
_LOST_PHRASES = re.compile(
    r"丢标|丢单|没戏|黄了|选了(?:别家|别人|(?!我们|我司|咱)[\u4e00-\u9fff]{1,6}的方案)|这单没了|落标|没中|lost the deal|"
    # the passive with its agent inside (被总部否了, 被领导毙了, 被集团叫停)
    r"被[^,，。;；!！?？\s]{0,6}?(?:抢|截|撬|拿走|翻盘|否|毙|拒|叫停|废|判无效|取消资格)|输(?:单|标|给|掉)|"
    # we ourselves cut (我们被砍了, 我司被刷), out in a round (第一轮就没进), the business ended (终止合作, 不再合作),
    # the supplier changed (换供应商了), the share given away (份额全给了对手)
    r"(?:我们|我司|咱们?)[^,，。;；!！?？\s]{0,2}被(?:砍|刷|踢|毙|否|淘汰|pass)|"
    # out of it (只能退出, 跟不了), bought centrally (总部统一集采了, 我们不在名单里), the project dropped (下马),
    # another make bought (最后他们还是买了进口设备)
    r"(?:只能|只好|决定|主动|我们|我司)退出|退出了?(?:竞标|投标|竞争|项目)|(?:集团|总部)[^,，。;；!！?？\s]{0,2}集采|"
    r"不在[^,，。;；!！?？\s]{0,4}(?:名单|名录)|下马|(?:采购|计划|需求|招标|订单)[^,，。;；!！?？\s]{0,3}取消|"
    r"(?:资格|资质|预审|资审|初审|初筛)[^,，。;；!！?？\s]{0,2}(?:没|未)(?:通过|过)|"
    r"(?:我们|我司)\s*(?:lose|lost)(?![a-z])|(?<![a-z])(?:lose|lost)了|选了\s*(?:a\s+)?(?:local|other|another)(?![a-z])|"
    r"(?:决定|最后|最终)[^,，。;；!！?？\s]{0,4}?(?:还是)?(?:用|选|买|采购|上)了?(?:国产|进口|国外|本地|日本|德国|美国|台湾|别的|其他)|轮[^,，。;；!！?？\s]{0,2}就?(?:没进|没过|出局)|无效标|"
    r"(?:终止|停止|取消|结束)合作|合作(?:终止|中止)|不再合作|解除合同|换(?:了)?供应商了(?![^,，。;；!！?？]{0,4}(?:我们|我司))|份额[^,，。;；!！?？\s]{0,4}(?:给了|没了|丢了|被)|"
    r"(?:不|没)(?:会|再|打算|准备)?(?:考虑|选|用|要|找)(?:我们|我司|咱们)|流产|(?:老板|领导|总部|集团)[^,，。;；!！?？\s]{0,2}不批|放弃了?(?:我们|我司|咱们)|无限期|自己(?:做|干|生产|开发)(?=$|[,，。;；!！\s了])|"
    r"没(?:啥|什么)?(?:希望|机会)(?!接触|见|认识)|没(?:有)?预算了|不了了之|换了供应商|被否了|(?:选|定|用)了别的|淘汰|项目(?:终止|取消)|终止了|"
    # Another supplier chosen in other words (选了日本的品牌, 定了另一家, 订单给了竞争对手, 继续用原来的供应商),
    # out of the running (没入围, 被刷下来), the need gone (需求没了, 不用这个设备, 搁置, 预算被砍), 流失.
    r"选了(?!我们|我司|咱)[\u4e00-\u9fff]{1,6}的(?:品牌|产品|设备)|(?:选|定|用|给)了(?:另一家|另外一家|其他家|竞争对手|竞品|友商)|"
    r"(?:继续|还是)用原来的|[没未]入围|被刷|刷下来|出局|需求没了|不用这个|搁置|预算被砍(?!了?(?:一半|一部分|部分|一些|些|[\d一二两三四五六七八九十]))|预算[^,，。;；!！?？\s]{0,4}冻结|流失|"
    # 黄掉了, 用了进口的, 不打算采购了, 订单转给别人了, 评标没过, 项目砍了, 不用再跟了
    r"黄掉|(?:用|选)了(?:进口|国外|别人|人家)的?|不打算(?:采购|买|做|上|用)|丢给|(?:转|给)给?了?别人|评标没(?:通)?过|"
    r"项目[^,，。;；!！?？\s]{0,2}砍|不用再?跟了?|"
    # 整个项目停了, 不需要我们的产品了, 没进供应商名录, 不外采了, (结果公示了) 不是我们
    r"(?:整个)?项目(?:都|全)?停了|不需要(?:我们|了)|没(?:能)?(?:进|进入|入)[^,，。;；!！?？\s]{0,4}(?:名录|名单|短名单|商务|下一轮|第二轮)|不外采|"
    r"不是我们(?=$|[\s,，。;；!！])|"
    # 设备不要了, 不采购, 维持原状, 被否决, 不换供应商, 不重新招了
    r"不要了|不采购|维持原状|被否|不换供应商|不(?:重新|再)招|"
    # 这个单子没了, 领导拍板选了海康 (not 选了我们)
    r"(?:单子|这单|项目|机会)没了|拍板(?:选|用)了(?!我们|我司|咱)|"
    # 项目跟我们没关系了, 这单已经给别家了
    r"(?:跟|和|与)我们没关系|给了?别家|用不上|改用|(?:竞标|投标)失败|不用再(?:发|报|送|跟)|"
    # 直接pass了, 不准备换了 继续用现在的, 项目被叫停了
    # (not a test passed: 「样品第二轮测试pass了」)
    r"(?<![测试验审核过])(?<!test)(?<!test )(?<!review)(?<!audit)pass(?:了|掉)|被pass|(?:继续|还是)用(?:现在|现有)的|不(?:准备|打算|考虑)换|叫停|"
    # 我们没资格, 单子被集团收回去了 / 集团统一招标, 这单我们做不了 / 技术要求达不到
    r"没有?资格|收回去|(?:集团|总部)统一(?:招标|采购)|做不了|达不到要求|要求达不到|"
    # 给了一家本地公司, 采购了别的品牌
    r"给了(?!我们|我司)[^,，。;；!！?？\s]{0,6}(?:公司|厂家|厂商|供应商)|(?:采购|买)了(?:别的|别家|其他)|"
    # 落选, 项目被取消, 选了价格更低的那家, 还是用老牌子, 输在了交期上
    r"落选|项目[^,，。;；!！?？\s]{0,2}取消|选了[^,，。;；!！?？\s]{0,8}(?:那家|(?:更低|更便宜|最低|最便宜)的)|(?:单子?|订单|项目|这单)[^,，。;；!！?？\s]{0,2}没拿(?:到|下)|没拿(?:到|下)(?:单子|订单|这单|项目)|还是用(?:老|原)|(?:选|用|定)了?(?:老|原来的?|原有的?)供应商|输在|"
    # 没被选上, 机会错过了, 用了他们自己研发的, 不搞了, 没通过我们的资质审核
    r"没被?选上|错过了|自己研发|不搞了|没通过[^,，。;；!！?？\s]{0,6}资质|"
    # our bid thrown out (投标文件…废标了), the nomination or the project handed to someone else (定点已经给了博世,
    # 把这个项目给本地的供应商了), no way to work together (这次合作不了)
    r"(?:投标文件|标书|我们的标)[^。;；!！?？]{0,14}废标|定点[^,，。;；!！?？\s]{0,4}给了?(?!我们|我司|咱)|"
    r"把[^,，。;；!！?？\s]{0,6}给(?!我们|我司|咱)[^,，。;；!！?？\s]{0,8}(?:公司|厂家|厂商|供应商)|合作不了|没法合作|无法合作|"
    # 这单飞了, 单子跑了, 决定用国产的了, 定了用竞品 (a decision for another supplier, words between)
    r"(?:定|选|决定|换|给)了?[^,，。;；!！?？\s]{0,3}?(?:竞品|别家|友商|竞争对手|对手|其他家|另一家|另外一家)|"
    r"(?:单子?|项目|订单|生意)[^,，。;；!！?？\s]{0,2}(?:飞了|跑了)|剔除|踢出|除名|(?:只能|只好|决定)放弃|被[^,，。;；!！?？\s]{1,6}?(?:拿下|签走|中标)|倒闭|破产|(?:决定|最后|最终)(?:还是)?(?:用|选)(?:了)?(?:国产|进口|国外|本地)"
)
_TEST_CONDITION = re.compile(r"测|样|试用|验证|评审|审核|认证")
_CONDITIONAL_SIGN = re.compile(
    r"(?:再|如果|要是|只要|若).{0,10}(?:就|马上|立刻|立马)(?:能|可以)?(?:把[^,，。;；!！?？\s]{1,4}?)?(?:签|下单|定|成交|合作|用我们|给我们|选我们|给我司|考虑我们|考虑我司)|"
    # 「价格合适就签」: 就签 without 了 is a condition, not a signature
    r"就(?:能|可以|会)?(?:签|下单)(?![了下完])|就(?:能|可以|会)?(?:给|交给|选|用|定)(?:我们|我司)(?![^,，。;；!！?？\s]{0,2}了)|"
    # 「要求我们驻场支持 才肯签」: 才 sets the condition after it
    r"才(?:肯|会|能|可以|愿意)?(?:签|下单)(?![了下完])",
    re.I,
)
# Phrases of the later stages the keyword families miss: price pushed down (降到 / 压到 / 年降),
# the commercial phase (进入商务阶段, 价格基本定了), a contract under review (合同在法务那边审).
_NEGOTIATION_PHRASES = re.compile(
    r"(?:降|压|砍|让)(?:到|至)|年降|商务阶段|谈商务|"
    r"价格[^,，。;；!！?？\s]{0,4}(?:定了|敲定|确定了)|合同[^,，。;；!！?？\s]{0,8}(?:审|走流程)|磨价|价格还在磨|"
    r"(?<![一二三四五六七八九十\d])(?:[一二三四五六七八九]{1,2}|[1-9](?:\.\d)?)折|让一让|底线|"
    # the terms of the contract (合同版本, 知识产权条款), the delivery time pushed (要求提前两周), the price
    # as an advantage (我们价格最有优势)
    r"合同版本|(?:知识产权|知产|付款|违约|赔偿|责任)条款|要求提前(?:交货|到货|发货|[\d一二两三四五六七八九十]+(?:天|周))|价格[^,，。;；!！?？\s]{0,4}优势|打折|优惠|返点|底价|最低价|等[^,，。;；!！?？\s]{0,3}(?:盖章|签字|回签)|"
    r"价格战|确定合作|合同[^,，。;；!！?？\s]{0,4}走|"
    # Price pressure (心理价位, 目标价, 价格这块卡住了, 对价格有意见, 比预算高, 压了我们3个点, 就差五千块钱,
    # 最终报价, 议标), contract terms (合同文本 / 初稿, 法务, 质保期, 含税含运费, 付款节点, 独家, 商务条件),
    # the buying process (走采购流程), and 「还在谈」 / 「答应了用我们」 with the price still open.
    r"心理价|目标价|价格[^,，。;；!！?？\s]{0,4}卡|价格有意见|比预算高|超预算|"
    r"就差[^,，。;；!！?？\s]{0,4}(?:块|钱|万|千|个点)|最终报价|最后报价|议标|"
    r"合同(?:文本|初稿|稿)|法务|要求[^,，。;；!！?？\s]{0,3}含|运费|付款(?:节点|比例)|独家|商务条件|"
    r"走[^,，。;；!！?？\s]{0,2}采购流程|(?:在|还在)谈|价格还差|年度价格|[就只还]差[^,，。;；!！?？\s]{0,5}签|"
    # 验收标准 / 违约责任 / 过了一遍合同 (terms), 贵了一截, 让了一步, 实在价, 拉锯, 谈到了62万, 价格要重新报,
    # and the deal not through yet (PO还没下, 合同还没回来, 卡在预算审批)
    r"验收标准|违约|过了?一遍合同|合同过了一遍|贵了|偏贵|有点贵|让了?一步|让步|实在价|拉锯|"
    r"谈到了?[\d一二两三四五六七八九十]|价格[^,，。;；!！?？\s]{0,3}重新报|"
    r"(?:po|订单|合同)还没(?:下|签|回)|卡在[^,，。;；!！?？\s]{0,4}审批|"
    # 在可接受范围内 / 不能接受, 交货期太长 / 要求压缩, 合同模板, 最后一轮, 质保, 每年要降5%
    r"可接受|能接受|接受不了|交(?:货)?期[^,，。;；!！?？\s]{0,3}(?:压缩|提前|缩短)|要求压缩|压缩到|合同模板|最后一轮|质保|"
    r"降[^,，。;；!！?？\s]{0,3}%|"
    # 价格比去年涨了, 嫌…价格, 口头答应 / 书面合同, 比竞品贵30%
    r"价格[^,，。;；!！?？\s]{0,6}涨|嫌|口头答应|书面合同|贵[\d一二两三四五六七八九十]|意向书|意向协议|"
    # 价格没优势, 不同意这个价 / 还要降, 价格可以 / 准备合同, 合同收到了
    r"没优势|不同意[^,，。;；!！?？\s]{0,3}价|还要降|价格可以|准备合同|合同[^,，。;；!！?？\s]{0,2}收到|"
    # 报价比预期高 但可以谈, 价格要重新谈
    r"比预期高|高于预期|可以谈|重新谈|"
    # 交期和价格再优化, 价格确认了 等走OA审批, 口头offer 等正式PO
    r"价格[^,，。;；!！?？\s]{0,3}优化|交期和价格|价格和交期|价格确认|走[^,，。;；!！?？\s]{0,3}审批|口头|offer|"
    r"等[^,，。;；!！?？\s]{0,3}po|"
    # the seal or the contract still to come (「合同 周四盖章」, 「领导批了 就等合同」, 「让采购跟我们对合同」), the PO on
    # its way (「PO 要下个月初才能下」, 「PO 在 approval」), the buying process (「采购流程走完要三周」), delivery
    # terms argued (「交期能不能从八周缩到六周」)
    r"(?:周[一二三四五六日天]|明天|后天|下周.?|这周.?|[\d一二三四五六七八九十]+号)\s?(?:再|就|能|会|去)?盖章(?!了)|"
    r"等\s?(?:签)?合同|对(?:一下|一遍)?合同|(?<![a-z])po\s?(?:要|预计|估计|才|会|在\s?(?:approval|审批|走))|采购\s?流程\s?走|"
    r"交(?:货)?期[^,，。;；!！?？]{0,8}缩|"
    # chosen but not signed (基本定我们了, 基本就是我们了), the approval waited for (等走流程, 就等预算批), a framework
    # agreement's price or renewal (框架价格, 框架还是给我们, 框架协议的红线版), a new delivery time asked (新的交期; 交期太长
    # alone is labelled both ways),
    # the price pressed in other words (再压一点, 便宜点 dictated, 单价不能超过八千)
    r"基本(?:就)?(?:定|是|选)了?我们|等[^,，。;；!！?？\s]{0,2}(?:走流程|预算批)|"
    r"框架[^,，。;；!！?？]{0,4}(?:价格|续|给我们|红线)|红线版|新的交期|"
    r"再\s?(?:压|降|砍|让)\s?(?:一点|点|一些|些)|便宜\s(?:点|一点|些)|单价[^,，。;；!！?？\s]{0,4}不(?:能)?超过|"
    r"(?<![a-z])po\s?(?:这周|下周|本周|月底)?\s?(?:一定|肯定)|合同\s?的\s?事(?!不急)|签\s?不\s?了|"
    # 再便宜点, 预算只够买一半, 价格已经是最低的了, 准备小批量采购, 对比…报价, 价格没谈下来
    r"便宜(?:点|一点|些)|预算(?:只够|不够|有限)|最低的|最低了|准备[^,，。;；!！?？\s]{0,4}(?:采购|下单|订货)|"
    r"对比[^,，。;；!！?？\s]{0,10}报价|没谈下来|谈不下来|"
    # 报价里的运输费要去掉, 价格…觉得还可以, 出采购申请, 价格和别家差不多 就看服务, 先垫资, 基本可以定了
    r"运输费|(?:报价|价格)里的?[^,，。;；!！?？\s]{0,6}(?:去掉|扣掉|减掉)|(?<!要是)(?<!如果)价格[^,，。;；!！?？\s]{0,8}(?:还可以|合适)|"
    r"采购申请|价格和别家|就看服务|垫资|(?:基本|可以)定了|要含(?!税)|阶梯价|价格锁定|锁定价格|锁价|保价|"
    # 讨论了总价和分期付款, 商务这块, 报价没竞争力 / 重新核算
    r"讨论了?总价|分期付款|分[两三四五六\d]期(?:付|支付|结)|商务(?:这块|上|方面)|没竞争力|重新核算|"
    # the payment terms in other words (付款周期延长到90天), the buyer's decision awaited (在等老板拍板)
    r"(?:价格|单价|价钱)[^,，。;；!！?？\s]{0,2}再?下来|磋商|(?:报价|价格)[^,，。;；!！?？\s]{0,2}最(?:低|便宜|有竞争力)|(?:敲定|确定|定下)了?[^,，。;；!！?？\s]{0,2}价|签批|价[^,，。;；!！?？\s]{0,4}跟不(?:了|上|起)|"
    r"(?:付款|回款|结算|账)[^,，。;；!！?？\s]{0,1}(?:周期|期限|安排|计划)|采购[^,，。;；!！?？\s]{0,6}走流程|(?:进入|启动|开始)[^,，。;；!！?？\s]{0,2}采购流程|价格[^,，。;；!！?？\s]{0,2}没问题|价格[^,，。;；!！?？\s]{0,3}竞争力|拉扯|卡在?[^,，。;；!！?？\s]{0,3}价(?!值)|"
    # payment terms and the terms of a framework talked over (谈了付款, 3个月承兑, 月结, 去谈年度框架, 单价还没谈妥)
    r"谈了?[^,，。;；!！?？\s]{0,2}付款|承兑|月结|谈妥|谈下来|"
    # a signing ceremony or a renewal to come (下周签字仪式, 续签的事下个月谈), the price accepted with terms
    # (报的价可以接受 但要分两次付款), a price to be locked (价格能不能锁),
    # the customer leaning to a competitor (他们倾向于竞品, 领导动摇了; a competitor's lower price alone is read as
    # evaluation by the file), our place in a price
    # ranking (我们价格排中间), a price level with another's (价格和另外一家差不多 关键看服务)
    r"签(?:字|约|署)仪式|续签|续约|价[^,，。;；!！?？\s]{0,3}(?:可以|能)接受|分[两三四五六\d]次(?:付|支付|结)|价[^,，。;；!！?？\s]{0,4}锁|"
    r"倾向于?(?:竞品|友商|竞争对手|对手|别家)|(?:领导|老板)[^,，。;；!！?？\s]{0,2}动摇|"
    r"价格?[^,，。;；!！?？\s]{0,2}排(?:第|中间|在|名|前|后)|(?:价格|报价)[^,，。;；!！?？\s]{0,2}(?:和|跟|与)[^,，。;；!！?？\s]{0,6}(?:差不多|一样|持平|接近)|关键看服务|"
    r"[就只还]差[^,，。;；!！?？\s]{0,3}(?:合同|盖章|po|订单)|"
    # concessions asked (免费提供备件, 包安装), the final price (最终价, 比完价), the price pressed on us (压我们价格,
    # 别人家便宜两成)
    r"包(?:安装|运输|运费|调试)|免费(?:提供|送|赠|安装|质保)|赠送[^,，。;；!！?？\s]{0,4}(?:备件|配件|服务|质保)|最终价|最后(?:的)?价|(?:比|谈|砍|压|议)(?:完|好)了?价|"
    r"(?:压|砍|杀)(?:我们|我司)的?价|便宜[^,，。;；!！?？\s]{0,2}?[\d一二两三四五六七八九十]+(?:成|个点|%|万|块)|谈[^,，。;；!！?？\s]{0,3}(?:框架|长协|单价|条款)|(?:让|降|便宜)(?:一点|点儿?|些|一些)|等[^,，。;；!！?？\s]{0,4}(?:拍板|定夺|决策)",
    re.I,
)
# Their need talked through (聊了一下新项目的需求, 对了一下新基地的需求, 把电芯分选的需求讲了一遍): evaluation, unless
# the message reads as a first meeting (「经朋友介绍认识的 聊了一下他们的需求」 is a lead).
_NEED_TALKED = re.compile(
    r"(?:(?:聊|谈|讲|对|过|沟通|交流|确认|提)(?:了|一下|一遍|下)|梳理|汇总|整理)[^,，。;；!！?？\s没无]{0,10}?需求(?![没不])|"
    r"需求[^,，。;；!！?？\s]{0,2}(?:讲了|说了|提了)"
)
# Evaluation work the families miss: tenders (标书, 开标, 述标, 入围, 流标), trial production, asking a price,
# choosing among suppliers.
_EVALUATION_PHRASES = re.compile(
    # a price asked (一个逆变器多少钱, 一吨什么价, 问了下几个型号的单价, 询了三个型号的单价), a unit lent or sent to
    # try (先送一台试三个月, 先寄两套传感器过去试)
    r"多少钱|什么\s?价|问了?[^,，。;；!！?？没不]{0,10}?(?:单价|价格|价钱)|"
    r"询了?[^,，。;；!！?？\s]{0,10}?(?:单价|价)|(?:送|寄|借)[^,，。;；!！?？]{1,8}?试(?![过了])|"
    # a request for quotation, a test report, trying it out for a while (试了三天), the yield on it
    r"(?:和|跟|与)[^,，。;；!！?？\s]{0,5}家竞争(?!关系)|(?<![a-z])rf[qipx](?![a-z])|(?<![a-z])(?:fai|dfm|dfmea|apqp)(?![a-z])|冷热冲击|盐雾|高低温|起订量|(?<![a-z])moq(?![a-z])|(?:需要|要求)[^,，。;；!！?？\s]{0,10}(?:认证|资质)|送检|准入|(?:要|提供|交|发|递)了?[^,，。;；!！?？\s]{0,8}证书|(?:检测|检验|测试|试验)报告|(?<![调考面笔口])试了[^,，。;；!！?？\s]{0,3}(?:天|周|个月|次|轮|批|台|下)|良率|"
    r"标书|开标|述标|入围|流标|废标|竞标|重新招|候选|试产|小试|中试|小批量|试单|问(?:问|了)?(?:一下|下)?价|"
    r"在[^,，。;；!！?？\s]{0,4}(?:里面|中间|之间|当中)?选|在[^,，。;；!！?？\s]{0,10}?(?:之间|中间|当中)选|(?:商务|技术)标|报(?:个|一个|了个)?(?:概算|估算|预估)|选供应商|需求[^,，。;；!！?？\s]{0,3}确认|确认了?需求|"
    # The need pinned down (需求摸清楚了, 过了需求), survey and drawings (量了尺寸, 出图), a presentation (PPT,
    # 讲解), samples and trial runs in other words (样件, 小样, 装机, 试机, 送完样, 测完), technical terms
    # (技术协议, 技术问题), the business case (ROI, 测算), being shortlisted (短名单, 比选, 进了下一轮), a quote
    # given in passing (报了个价).
    r"需求(?:已经?|都|基本)?摸清|过了?(?:一遍|一下)?需求|量了?尺寸|出图|ppt|讲解|样件|小样|装机|试机|"
    r"送[了完]样|测[完过]了?|技术协议|技术问题|roi|测算|短名单|比选|下一轮|报了个?价|"
    # 技术对接, 内部评估, 踏勘, 内部汇报, 产品宣讲, 验证板, 规格要求, 示范线, 看样
    r"初步认可|认可了?我们的(?:方案|技术|产品)|技术[^,，。;；!！?？\s]{0,3}认可|技术对接|对接了?[^,，。;；!！?？\s]{0,3}(?:需求|技术|参数|方案|研发)|评估|踏勘|内部汇报|回去汇报|宣讲|验证|规格|示范线|看样|试点|问了?[^,，。;；!！?？\s]{0,3}价格|续标|报个[^,，。;；!！?？\s]{0,3}价|答疑|资质证明|资质文件|工况|技术要求|逐条|客户现场|验厂|审厂|"
    # a price asked for or sent (要了个大概价格, 发了几个型号的单价)
    r"(?:要了[个一份下]?|要(?:个|一份))[^,，。;；!！?？\s]{0,4}?(?:价格|报价|单价|价目表)|(?:发|给|报)了?[^,，。;；!！?？\s]{0,6}?(?:单价|价目表|价格表)|"
    r"在比较|比较[^,，。;；!！?？\s]{0,2}我们|对比|比较(?=$|\s|一下|下|了)|没定[^,，。;；!！?？\s]{0,2}(?:用|选)谁|(?:聊|谈|沟通|交流)了?(?:下|一下)?技术|"
    # trying it out in any form (试装, 试跑, 试生产), the bid evaluated (评标)
    r"试(?:用|产|装|机|跑|运行|做|制|生产|料|销)|评标|"
    # drawings to change or sent (有两处尺寸要改, 他发了图纸; not 对了图纸 alone), trying one first (拿两个型号试试,
    # 先租一台), a custom build, a joint commissioning, a process qualification (工艺评定), a quote asked of us
    # (让我们报一下), references asked (使用证明), an interface protocol (a technical agreement), samples posted
    # (先寄样), what we showed taken to their boss (要跟领导汇报)
    r"(?:图纸|尺寸)[^,，。;；!！?？\s]{0,4}(?:要改|修改)|(?:发|传|给)了?(?:我们)?[^,，。;；!！?？\s]{0,2}图纸|"
    r"试试|试一试|试一下|先租|租[^,，。;；!！?？\s]{0,2}[一两几\d]?[台套]|定制|联调|评定|让(?:我们|我司)报|(?<!汇)报一下|"
    r"(?:使用|业绩|应用)证明|(?:接口|通讯|通信)协议|寄样|(?:跟|向|给)[^,，。;；!！?？\s]{0,3}领导汇报|"
    # the customer's feedback on what was shown or sent (反馈还行, 等反馈)
    r"(?<![预推猜监观])测(?!算)|供应商导入|"
    # trial runs on their line (在线上跑了一周, 上机跑), their data on it (数据还行), first samples and their
    # approval (首样, 首件, 承认书, PPAP, 可靠性), the decision meeting still to come (上会, 等定标), a place on
    # the approved supplier list (进了合格供应商名录)
    r"(?:线|机|机台|设备)上跑|上线跑|跑线|数据[^,，。;；!！?？\s]{0,2}(?:还行|不错|还可以|很好|挺好|正常|没问题|不理想|不太行|一般)|"
    r"首样|首件|承认书|ppap|可靠性|老化|上会(?:了|讨论|评审|审议|决策|研究|过)|[等要待已将]上会|(?<![线网晚早马])上会(?=$|[\s,，。;；!！])|定标|(?:进|入|进入)了[^,，。;；!！?？\s]{0,8}(?:名录|供应商库)|导入流程|反馈(?![^,，。;；!！?？\s]{0,12}(?:故障|售后|维修|投诉|坏了|不良|不稳定|异常|报警|异响|卡料|寿命短|问题))|(?:成功|客户|应用|同行)案例",
    re.I,
)
# First contact in other words: 第一次去 / 头一回见面 / 初次沟通 / 陌生拜访 / 刚建立联系 / 混个脸熟 / 重新接触 /
# 没合作过 / 想了解一下 (a lead is the weakest stage: used only when nothing else is said).
_LEAD_PHRASES = re.compile(
    # a courtesy first call (拜了个码头, 露了个脸, 混了个脸熟, 冷拜访), just connected (刚对接上), their plans sounded out
    r"拜了?个?码头|没有?具体(?:的)?(?:预算|需求|计划)|(?:改造|采购|扩产|升级)的?(?:想法|打算)|可行性|可研|才(?:会)?立项|认(?:个|了个|认)?门|"
    r"切进去|切入(?!点)|打进去|先(?:聊聊|聊着|熟悉)|联系方式|有需求再|(?:第一|头一)[趟遭]|样本(?!量)|(?<![没无])有(?:合作)?意向|(?:还)?没立项|未立项|了解到[^,，。;；!！?？\s]{0,8}(?:项目|需求|计划)|还没到[^,，。;；!！?？\s]{0,4}阶段|网上看到|露了?个?脸|脸熟|冷(?:拜访?|访|电话)|刚(?:对接|联系|接触|搭)上|(?:联系|搭)上(?:了|关系|线)|摸了?一?下[^,，。;；!！?？\s]{0,10}(?:计划|规划|情况|底)|"
    r"名片|加了微信|互相介绍|刚认识|新认识|朋友介绍|转介绍|第一次|头一回|初次|首次|陌生(?:拜访|电话)|建立联系|"
    r"混个脸熟|重新接触|没合作过|了解(?:一下|下|情况)|介绍认识|老客户介绍|"
    # 朋友牵的线, 正式认识了, 结识, 第一回打交道, 扫楼, 官网留言进来的线索, 刚搭上线, 没机会接触
    r"牵的?线|认识|结识|第一回|打交道|扫楼|线索|搭上线|接触|"
    # 新开发的客户, 资质递过去, 加上微信, 自我介绍, 样本册
    r"初步|[初首]访|摸[个一下了]?底|刚开始(?:跟|接触|联系|聊|对接)|需求刚|新开发|资质递|引荐|产品手册|(?:送|寄|发|给)了?[^,，。;；!！?？\s]{0,3}(?:产品目录|彩页|画册)|只是意向|初步会面|初次会面|先跟着|前期|维护[^,，。;；!！?？\s]{0,2}关系|关系维护|加(?:上|了)[^,，。;；!！?？\s]{0,6}微信|自我介绍|样本册|宣传册|公司介绍|"
    # a customer just opened (新挖的客户, 新开拓), the early phase named (了解阶段)
    r"新(?:挖|开拓|拓展|拓)的?客户|(?:了解|接触|初期|早期)阶段|潜在(?:客户|需求|项目)|"
    # their plans learned (透露了个项目, 要把…换掉, 想采购一批; not 扩产 or 有个项目 alone: the file reads them as
    # none), a chance seen (我们有机会, 我们可以做), their budget cycle (今年预算还有), ourselves introduced
    # (主要介绍我们公司 有需要会找我们), a company visited for the first time (拜访了一家做冷链的), a would-be distributor
    r"透露|要把[^,，。;；!！?？]{0,14}?换掉|(?:今年|明年)?预算还有|还有预算|想(?:采购|买|换)一批|"
    r"(?<![还也再])有机会(?!接触|见|认识|再)|(?:我们|我司)(?:可以|能)做|"
    r"介绍(?:了)?(?:我们|我司)(?:的)?(?:公司|产品)|有需要[^,，。;；!！?？\s]{0,3}找(?:我们|我司)|(?:拜访|去)了?一家|想代理|代理(?:我们|我司)|摸[^,，。;；!！?？\s]{0,2}需求",
    re.I,
)


# Clauses whose stage words say nothing about this deal: someone else's (听说美的那边跟竞品签了, 他们竞争对手大华
#刚签了, 宁德时代那边也在招标), an old one (去年签过一个小单, 上次的合同早就签完了, 上半年那个项目我们丢了),
# a worry or a wish (担心被截胡, 万一不中标, 要是能拿下, 有没有可能拿下), a step not taken (方案还没开始做,
# 报价的事一个字没提). They are blanked before the stage is read.
_NOT_THIS_DEAL = re.compile(
    r"听说|据说|(?<![周号天月底年今明后前一二三四五六七八九十日末\d])之前(?:跟|和|与|也|签|做|用|买)|(?:签|做|中|买)过[^,，。;；!！?？\s]{0,4}(?:类似|同样|一样|这种)|年度评审|年审|被评为|他们的?竞争对手|(?<!被)同行|隔壁|那边也|上个项目|上一?[个张批](?:订单|单子|合同)|上个月|(?<!比)去年(?!的)|下次(?=[^,，。;；!！?？\s]{0,4}(?:招标|采购|项目))|上半年(?!的)|以前|上次的|早就|曾经(?!理)|"
    # not 「1.05万一台」
    # a belief that turned out wrong; an indefinite subject (行业里谁家签了大单)
    r"(?:本|还)?以为|谁家|哪家|(?:好多|很多|不少|许多|大部分|大多数?|有些|有的)(?:供应商|厂家|厂商|公司|同行|企业|家|客户)|从来|从不|向来|一向|历来|"
    r"担心|上[次回](?:那个|那|的)|(?<![\d.零一二两三四五六七八九十百千])万一|要是能(?![^,，。;；!！?？\s]{0,4}(?:便宜|降|优惠|让|少|提前|缩短|交货|账期))|当初|早知道|(?:竞品|友商|竞争对手)[^,，。;；!！?？\s]{0,3}?(?:最近|也|在|都|已经|正在|刚)|(?<!比)(?:竞品|友商|竞争对手)的(?!价|报价)|(?:可能|也许|或许)会?(?:再)?有(?:个|一个|新的?)?(?:项目|需求|询价|招标|机会|订单|单子)|有没有可能(?!降|便宜|优惠|让)|不好说|不确定|说不准|兄弟单位|兄弟公司|(?:争取|想|希望|力争)拿下|"
    # A-not-A questions (签没签过, 认不认识, 要不要立项), the customer's far-off plans (明年才会启动招标)
    # (not 能不能 / 有没有: 「问能不能再便宜点」, 「有没有可能降价」 are requests)
    r"(?![能可行有])([\u4e00-\u9fff])[没不]\1|才会|明年才|"
    r"(?:报价|方案|需求)[^,，。;；!！?？\s]{0,6}(?:没提|还没开始|没开始|还没定)"
)
_CLAUSE = re.compile(r"[^,，。;；!！?？\s]+")


# A stage word that is part of a job title, a unit or a website (测试工程师, 评估主管, 检测中心, 招投标网) says nothing
# about the deal.
# So is one naming what they buy (检测设备, 电机测试台, 老化测试设备; not 我们送的测试仪, a unit on trial),
# a repair's price (报了个维修价: after-sales) and a commercial phase still ahead (下一步进入商务阶段: a plan,
# not a fact).
_IN_TITLE = re.compile(
    r"(?:测试|试验|评估|验证|检测|计量)(?=工程师|主管|经理|专员|部|中心|组|室|站)|(?:招投标|招标|采购)(?=网|平台)|"
    r"(?:老化)?(?:测试|试验|检测)(?=设备|台)|老化(?=设备|箱|房)|报了?个?(?:维修|修理|保养)[价费]|(?:维修|修理|保养)(?:价|费|报价)|"
    r"(?:下一步|接下来|下阶段)(?:就|要|会|准备)?(?:进入|转入|开始|到)(?:商务|谈判)[^,，。;；!！?？\s]*"
)


# What would have happened (「要是当初早点介入 这单就拿下了」): the whole if-then, across its blank.
_COUNTERFACTUAL = re.compile(r"(?:要是当初|如果当初|早知道|(?:要是|如果)[^,，。;；!！?？\s]{0,3}早)[^。;；!！?？]{0,16}?就[^,，。;；!！?？\s]*")
# Pinyin-input slips reps leave in (same length, so offsets stay): 签和同了, 报介已经发了.
_TYPOS = re.compile(r"和同|合痛|报介|报加|定单|中表|报家|订丹|偏搞|承对")
_TYPO_FIX = {"和同": "合同", "合痛": "合同", "报介": "报价", "报加": "报价", "定单": "订单", "中表": "中标", "报家": "报价", "订丹": "订单", "偏搞": "偏高", "承对": "承兑"}


# 「先试用再签合同」, 「先送样 测完再谈价格」: what comes after 再 in a 先…再 is the step after the current one.
_THEN_LATER = re.compile(r"先[^,，。;；!！?？]{1,10}?(再[^,，。;；!！?？\s]*)")


# Pinyin-input slips of the core stage words in general (签越, 合痛, 羊品, 谈盘, 侧试): two characters typed for the
# sound of a stage word. Left out are the words whose homophones are everyday words or names (试用/使用,
# 中标/钟表, 成交/城郊, 议价/一家, 打样/大洋, 下单/夏丹, 送样/宋阳, 订单/敲定单价) and the real words listed below.
_SOUND_WORDS = ("合同", "报价", "签约", "谈判", "样品", "样机", "丢单", "方案", "测试", "询价", "比价")
_REAL_HOMOPHONES = frozenset(("保价", "包价"))


@lru_cache(maxsize=1)
def _sound_table() -> dict[tuple[str, str], str]:
    """Toneless readings of each sound word → the word (built on first use: pypinyin loads lazily)."""
    return {(common_reading(w[0]), common_reading(w[1])): w for w in _SOUND_WORDS}


def _sound_slips(norm: str) -> str:
    """``norm`` with every slip of a sound word replaced by the word (same length): a slip keeps one
    of the two characters and puts a homophone for the other, as a pinyin input method offers it.

    Hand-written: pypinyin gives the readings; matching them against a few stage words is ours."""
    table, out, i = _sound_table(), list(norm), 0
    while i < len(norm) - 1:
        pair = norm[i : i + 2]
        word = None
        if pair not in _REAL_HOMOPHONES and pair not in _SOUND_WORDS:
            word = next((table[(a, b)] for a in readings(pair[0]) for b in readings(pair[1]) if (a, b) in table), None)
            if word and (word[0] == pair[0]) == (word[1] == pair[1]):
                word = None  # one character typed right, one slipped (「审核通过」 holds no 合同)
        if word:
            out[i : i + 2] = word
            i += 2
        else:
            i += 1
    return "".join(out)


# 「一期已经交付 二期在谈价格」, 「别的部门都签了 他们部门还在测试」, 「中了一个标段 另外两个没中」: a clause about
# another phase, project or department says nothing about this deal. A clause about someone else's part
# (别的 / 其他 / 另外…) never does; an earlier phase (一期, 老项目) only when a later clause names this one.
_ELSEWHERE = re.compile(r"(?:^|(?<=[,，。;；!！?？\s]))(?:别的|其他|其它|另一个|另外|集团其他)[^,，。;；!！?？\s]*")
_OTHER_PART = re.compile(
    r"(?:^|(?<=[,，。;；!！?？\s]))(?:[一1]期|上一?期|老项目|之前的项目|他们集团)[^,，。;；!！?？\s]*"
)
_THIS_PART = re.compile(r"(?:^|(?<=[,，。;；!！?？\s]))(?:[二三2-3]期|这一?期|新项目|这次|这个|这边|他们部门|本部门|今年|这个厂)")


def _other_parts_blanked(norm: str) -> str:
    """``norm`` with the clauses about another part blanked (see above)."""
    norm = _ELSEWHERE.sub(lambda m: " " * len(m.group()), norm)
    for m in reversed(list(_OTHER_PART.finditer(norm))):
        if _THIS_PART.search(norm, m.end()):
            norm = norm[: m.start()] + " " * (m.end() - m.start()) + norm[m.end() :]
    return norm


def stage_text(norm: str) -> str:
    """The message with the clauses that cannot move this deal's stage blanked (same length, same offsets)."""
    norm = _TYPOS.sub(lambda m: _TYPO_FIX[m.group()], norm)
    norm = _sound_slips(norm)
    norm = _IN_TITLE.sub(lambda m: " " * len(m.group()), norm)
    norm = _COUNTERFACTUAL.sub(lambda m: " " * len(m.group()), norm)
    norm = _THEN_LATER.sub(lambda m: m.group()[: m.start(1) - m.start()] + " " * len(m.group(1)), norm)
    norm = _other_parts_blanked(norm)
    out, past = [], False
    for m in _CLAUSE.finditer(norm):
        # 「他们以前是我们的客户 后来换了供应商」: a clause that goes on with 后来 continues the story it follows
        past = _not_this_deal(m.group()) or (past and m.group().startswith(("后来", "然后", "之后")))
        out.append((m.start(), m.end()) if past else None)
    for span in filter(None, out):
        norm = norm[: span[0]] + " " * (span[1] - span[0]) + norm[span[1] :]
    return norm


def _not_this_deal(clause: str) -> bool:
    """Whether ``clause`` says nothing about this deal (``_NOT_THIS_DEAL``); a competitor named after 我们 in one
    clause is a comparison with us (「我们的方案和竞品的方案都在评估」), not the competitor's own business."""
    m = _NOT_THIS_DEAL.search(clause)
    if m is None:
        return False
    return not (re.match(r"竞品|友商|竞争对手", m.group()) and re.search(r"我们|我司", clause[: m.start()]))


# Something sent over (「先发了公司介绍过去」, 「邮件把方案发过去了」) or a call placed (「打了个电话过去」,
# 「电话打过去」): 过去 there is the thing's way, not the rep's.
_SENT_OVER = re.compile(r"(?:发|寄|传|转|邮)了?[^,，。;；!！?？\s]{0,8}?过去|(?:打了?个?)?电话打?过去")


# A visit that is background (「之前拜访过」) or did not happen (「原定拜访取消」, 「本来要上门」): not how the rep was
# in touch this time.
_NO_VISIT_NOW = re.compile(
    r"(?:拜访|走访|上门|参观|考察|见)过(?!程)|"
    r"(?:原定|原计划|本来要?|本打算|原本要?)的?(?:去|拜访|上门|过去|见)|(?:拜访|上门|见面)(?:取消|改期|泡汤|没去成)|"
    # money or goods that arrived (「定金五万今天到了」, 「货到了」) say nothing of the rep arriving anywhere
    r"(?:定金|订金|预付款?|首付款?|货款|尾款|回款|款|钱|货|样品|样机)[^,，。;；!！?？]{0,8}?到了"
)


# A call still to come (「他说过两天给我打电话」, 「我周四先打个电话催一下」, 「下周五给我回电话」) is the next step, not how
# the rep was in touch this time.
_CALL_TO_COME = re.compile(
    r"(?:说|会|再|先|要|明天|后天|过两天|过几天|回头|改天|下周.?|下星期.?|周[一二三四五六日天])"
    r"[^,，。;；!！?？\s]{0,6}?(?:给(?:我|他|她|你))?(?:回|打)(?:一?个|通)?电话(?![了过])"
)


def detect_channel(text: str) -> str:
    """拜访 / 电话 / 微信 / 会议: the first kind whose words the message uses (visit words first)."""
    text = _SENT_OVER.sub(lambda m: m.group()[:-2] + "  ", closed_words(text))
    text = _CALL_TO_COME.sub(lambda m: " " * len(m.group()), text)
    text = _NO_VISIT_NOW.sub(lambda m: " " * len(m.group()), text)  # only its 过去: 「发了条微信过去」 is WeChat
    # The message opens with the call (「周一给隆基袁经理打电话，想约他下周见个面」, 「电话跟正泰的沈工聊了下 … 寄一份
    # 目录过去」): the visit words further on are what was arranged or sent, not how they talked.
    if (
        (call := _CALL_FIRST.search(text))
        and not _CHANNELS[2][1].search(text, 0, call.start())
        and not _CHANNELS[0][1].search(text)
        and not _VISITED_AFTER_CALL.search(text, call.end())
    ):
        return "phone"
    for channel, rx in _CHANNELS:
        if rx.search(text):
            return channel
    return "visit"


# A visit done after the call (「打了个电话 下午就去了一趟」, 「…后来又上门拜访了」): the visit is the contact.
_VISITED_AFTER_CALL = re.compile(r"(?:去了|跑了趟|见了面|见面了|拜访了|上门了|面谈了?|当面|吃了个?饭)(?!个?电话)")
# A call in the first clause (「给隆基袁经理打电话」, 「电话跟正泰的沈工聊了下」, 「冯工今天电话里说」, 「给…打了个电话」).
_CALL_FIRST = re.compile(
    r"^[^,，。;；!！?？]{0,24}?(?:打(?:了个?|了一?通|过)?电话|电话(?:里|中|上)?(?:跟|和|与|联系|沟通|聊|说|讲|问)|通了个?电话)"
)


def written_title(text: str, name: str, customer: str | None = None) -> str | None:
    """The contact's title where the message writes it next to the name, else None (titles.py builds it from
    its parts). 「设备科科长刘工」 → 设备科科长; 「他助理小杨」 → 助理; 「刘工（设备科科长）」 → 设备科科长.

    A title with a rank wins over a department or function alone on the other side of the name
    (「采购 李工 采购部经理」)."""
    text = close_title_gaps(fix_typos(text))
    at = text.find(name)
    said = re.search(rf"姓\s?{re.escape(name[:1])}(?=[\s,，。;；!！?？、]|$)", text)
    if at < 0 and said:
        # only the surname was said (「设备科科长 姓钱」 filed as 钱科长): the title is the one before 「姓」
        return (title_before(text[: said.start()], name) or _title_before_surname(text, said, name)) if said.start() else None
    if at < 0:
        return None
    clause_start = max(text.rfind(c, 0, at) for c in ",，。;；!！?？\n") + 1
    before = text[max(clause_start, at - 30) : at]
    floor = before.rindex(customer) + len(customer) if customer and customer in before else 0
    first = title_before(before, name, floor)
    if first is None and clause_start and text[clause_start - 1] in ",，" and not text[clause_start:at].strip():
        # 「采购经理，王总，聊了价格」: the clause before is the title alone (a rank in it, so not 「聊了采购，王经理说」)
        prev_start = max(text.rfind(c, 0, clause_start - 1) for c in ",，。;；!！?？\n") + 1
        prev = text[max(prev_start, at - 30) : at]
        floor = prev.rindex(customer) + len(customer) if customer and customer in prev else 0
        if (found := title_before(prev, name, floor)) and _has_rank(found):
            first = found
    rest = text[at + len(name) :]
    if customer:
        # 「张总 三一重工的采购总监」, 「郑总，汇川的副总经理」: the company named again before the title is whose post
        # it is, as 「他们的」 would say (the title is the post, without the company)
        rest = re.sub(
            rf"^(\s*[,，]?\s*(?:是|也就是)?\s*){re.escape(customer)}(?:[\u4e00-\u9fff]{{0,4}}?的|\s*的?\s*(?=[\u4e00-\u9fffA-Za-z]))",
            r"\1他们的",
            rest,
        )  # (and 「Linda 美的采购总监」, 「阿杰 是 大华 的 采购」: the company right before the title)
    after = title_after(rest, name) or title_later(rest)
    if first and after and not _has_rank(first) and rest.startswith(after) and RANK.fullmatch(after):
        return first + after  # 「技术部王磊工程师」: the department before the full name, the rank glued after it
    # A rank written after the name wins over a title whose rank is only the name's honorific before it
    # (「设备部刘工那边他是设备部的主管」: 设备部主管, not 设备部 + 工 → 设备部工程师).
    if first and after and _has_rank(after) and not _WRITTEN_RANK_AT_END.search(before):
        return after
    if after is None and (first is None or not _has_rank(first)):
        # The name written again further on with its title (「去了他们厂 王总是他们的董事长」): a title with a rank, or
        # one said with 是; it wins over a function alone before the name (「供应链的罗总…罗总是他们平台采购部的部长」)
        again = text.find(name, at + len(name))
        said_is = again >= 0 and re.match(r"\s?[他她]?是", text[again + len(name) :]) is not None
        if again >= 0 and (later := title_after(text[again + len(name) :], name)) and (
            _has_rank(later) if first else _has_rank(later) or said_is
        ):
            return later  # (「老周是他们供应链的」: a department said with 是 needs no rank)
        if first is None and said and said.start() < at:
            # 「研发总监进行了会面，对方姓冯。冯总监对我们…」: the surname said after the title, the name used later
            return _title_before_surname(text, said, name)
    return first or after


def _title_before_surname(text: str, said: re.Match[str], name: str) -> str | None:
    """The title a surname said with 姓 belongs to (``said`` is the 姓X), else None: the nearest title before it
    (「本来找采购部长唐建平 他不在 见了他们的副部长 姓邹」: 副部长), none when it only restates the honorific
    (「厂长姓许 许厂长说」)."""
    t = SURNAME_SAID.search(text, 0, said.end())
    if t is None or t.group("s") != name[0]:
        return None
    nearest = [m.end() for m in TITLE.finditer(text, t.start("t"), said.start())]
    found = title_before(text[: nearest[-1] if nearest else t.end("t")], name)
    return None if found is None or _honorific_only(name, found) else found


# A title with its rank written right before the name (「设备科科长刘工」, 「采购经理 王总」), not 「采购部王经理」.
_WRITTEN_RANK_AT_END = re.compile(rf"(?:{TITLE_TEXT})[的\s]*$")


def _has_rank(title: str) -> bool:
    return bool(TITLE.search(title))


def _honorific_only(name: str, title: str) -> bool:
    """「李总」 → 「总」, 「王经理」 → 「经理」, 「刘工」 → 「工程师」: the title only restates the honorific."""
    return title in name or (name.endswith("工") and title in ("工程师", "总工程师", "高级工程师"))


# Aspect and modality of a deal word (签合同, 盖章, 下单, 到账): done when it carries a perfective marker
# (签了, 盖完章, 已经下单, 刚签约); still to come when its sentence sets it in the future or under someone's
# will (下周五签合同, 催了下合同盖章, 等老板签字, 去签合同, 这周五前盖完回传). The sentence runs to the last
# comma or full stop, across the blanks of dictated text (「海尔 周总 下周周五 签合同」).
_PERFECTIVE_AFTER = re.compile(r"(?:了|完|好了|过|下来|成功)")
_DONE_BEFORE = re.compile(r"(?:已经?|刚刚?|终于|都)[^,，。;；!！?？\s]{0,2}$")
_PENDING_BEFORE = re.compile(
    r"下周|下个?月|明天|后天|明年|月底|年底|这周|本周|周[一二三四五六日天末]前|号前|过两天|改天|回头|尽快|近期|"
    r"催|等|准备|打算|计划|争取|希望|安排|约好?|[去来]$|[去来](?:把|跟|和)|应该|预计|估计|有望|可能"
)
_PENDING_AFTER = re.compile(r"[^,，。;；!！?？]{0,10}?(?:周[一二三四五六日天末]前|号前|底前|之前)")
_SENTENCE_END = ",，。;；!！?？\n"
_IMMINENT = re.compile(
    r"(?:准备|打算|计划|将要?|即将|马上|(?<!很)快|就要|要|肯定|一定|(?<![开])会|年前|节前|月前|可以|能够?)(?:要|能|会|就|先)?$"
)
# A deadline ahead (「这周内把合同签了」, 「三天之内下单」): 了 there closes the request, the act is still to come.
_DEADLINE_BEFORE = re.compile(
    r"(?:这周|本周|这个?月|本月|今年|年底|月底|[\d一二两三四五六七八九十几]+(?:天|周|个月))(?:内|之内|以内)|"
    r"(?:年底|月底|年前|节前|周[一二三四五六日天末]|[\d一二三四五六七八九十]+号)(?:之)?前把[^,，。;；!！?？\s]{0,4}$|"
    # a task set (「春节前要把合同签了」, 「得把订单下了」): 要…把…了 asks for the act, it is not done
    r"(?:要|得|必须|务必|争取|尽量|最好)把[^,，。;；!！?？\s]{0,4}$"
)
_FUTURE_IN_WORD = re.compile(r"下周|明天|后天|下个?月|月底|年底|这周|本周|一定|肯定|应该|估计|尽快|马上|预计|过两天|过几天|才能?")


def conditional(text: str, start: int) -> bool:
    """Whether the word at ``start`` is the consequence of a condition earlier in its sentence, across the
    blanks of dictated text (「要是下周还不签 这单估计就黄了」, 「如果价格降不下来 就没戏了」)."""
    sentence_start = max(text.rfind(c, 0, start) for c in _SENTENCE_END) + 1
    before = text[sentence_start:start]
    return bool(re.search(r"如果|要是|假如|万一|只要|若是", before) and re.search(r"就[^,，。;；!！?？\s]{0,3}$|的话", before))


def pending(text: str, start: int, end: int) -> bool:
    """Whether the deal word at ``text[start:end]`` is still to come rather than done (see above).

    Hand-written: tense in Chinese is carried by particles and time words, not by the verb, and no
    maintained library tags aspect on short chat text; these markers are the ones the header's convention
    (「准备下周签约」 is negotiation) turns on."""
    word = text[start:end]
    sentence_start = max(text.rfind(c, 0, start) for c in _SENTENCE_END) + 1
    before = text[max(sentence_start, start - 16) : start]
    if _IMMINENT.search(before) or _FUTURE_IN_WORD.search(word) or _DEADLINE_BEFORE.search(before):
        return True  # 「准备签约了」, 「马上要下单了」 (要…了 is about to happen); 「预付款下周到账」
    if any(c in word for c in "了完") or _PERFECTIVE_AFTER.match(text, end) or _DONE_BEFORE.search(before):
        return False
    return bool(_PENDING_BEFORE.search(before) or _PENDING_AFTER.match(text, end))


# A price objection is a negotiation wherever the price is named in the message (「报了85万 他说偏高」,
# 「价格发过去了 客户嫌高」, 「预算二十八万 我们报的三十六万 差得有点多」): the objection and the figure are seldom in
# one phrase.
_OBJECTION = re.compile(
    r"偏高|太高|高了|有点高|(?<![宝])贵(?![公司方单州阳])|超预算|超出预算|接受不了|下不来|压一压|砍一砍|不(?:太|大|是很)?满意|"
    r"差(?:得|的)(?:有点|有些|太|很)?多|比预期高|比预算高|超出预期|便宜(?:点|些|一点)"
)
_PRICE_MENTION = re.compile(
    r"报价|价|报了|[\d.]+\s*(?:万|w|k|元|块)|[一二两三四五六七八九十百千]万|\bprice|\bquot", re.I
)
# A contract (or agreement) handled without being signed — sent, changed, reviewed, waited for (「后天去送合同」,
# 「合同发过去了」, 「还没签合同」) — is a negotiation. 「合同额 120万」 alone is a figure, and an NDA or a
# technical agreement is not the deal.
_CONTRACT = re.compile(
    r"(?:送|寄|发|拿|带|改|审|准备|起草|拟|出|签|盖|递|传|走)[了过好完]?[^,，。;；!！?？\s]{0,3}?(?:合同|协议|长约|长协)|"
    r"(?<!保密)(?<!技术)(?<!意向)(?:合同|协议)[^,，。;；!！?？\s]{0,3}(?:发|寄|送|给|改|审|还没|没|在走|过去|过来|回来)|"
    r"\bcontract",
    re.I,
)


# The buyer's decision awaited once a price is out (「价格已经报了 等老板回来再定」).
_AWAIT_DECISION = re.compile(r"等[^,，。;；!！?？\s]{0,5}(?:拍板|定夺|决策|再定|定下来|决定|批(?!评))")


# Percentage points (再降三个点, 差2个点) are the price's, except where the clause measures a rate or a score
# (「我们的良率高两个点」, 「技术分差两个点」).
_POINTS = re.compile(r"[0-9一二两三四五六七八九十]个点")
_NOT_PRICE_POINTS = re.compile(r"率|精度|指标|分")


def _price_points(text: str) -> bool:
    for m in _POINTS.finditer(text):
        start = max(text.rfind(c, 0, m.start()) for c in ",，。;；!！?？ \n") + 1
        if not _NOT_PRICE_POINTS.search(text, start, m.start()):
            return True
    return False


def _price_objection(text: str) -> bool:
    return bool((_OBJECTION.search(text) or _AWAIT_DECISION.search(text)) and _PRICE_MENTION.search(text))


def _open_contract(text: str) -> bool:
    return any(not re.search(r"保密|技术|意向", m.group()) for m in _CONTRACT.finditer(text))


# 「合同盖章流程走到财务了」: the process of the deal word, not the deal done.
_PROCESS_AFTER = re.compile(r"(?:的)?(?:流程|审批|手续|申请|环节|事宜)")

_SIGNED = re.compile(r"签[了下]|签约了|中标了|下单了|成交了|拿下了?")


def _won_after(text: str, at: int) -> bool:
    """A deal done after position ``at`` (the message tells events in the order they happened)."""
    for m in (*_WON_PHRASES.finditer(text, at), *_SIGNED.finditer(text, at)):
        if not re.search(r"[没不未等要再]$", text[max(0, m.start() - 3) : m.start()]) and not pending(text, m.start(), m.end()):
            return True
    return False


# A hand-over at a customer we already work with: a newcomer in a role (新来的采购经理, 接替他的小陈, 以前是彭工负责,
# 引荐了他们的研发总监, our own new colleague introduced). Meeting that person is no first contact with the
# customer (docs/visit-stage-convention.md: the relationship is not at its start), so it names no lead;
# 「袁经理 新来的 以前在西门子 今天第一次见」 (the contact himself new to us) stays a first meeting.
_HANDOVER = re.compile(
    r"新来的(?![\s,，。;；!！?？]|$)|新上任的|接替|接任|以前是[^,，。;；!！?？\s]{0,6}负责|引荐了?他们的|退休"
)


def no_lead_on_handover(found: Stage | None, norm: str) -> Stage | None:
    """``found``, except a lead where the whole message (before anything is blanked: 「以前是彭工负责」) tells a
    hand-over (``_HANDOVER``), which is none."""
    return None if found is Stage.LEAD and _HANDOVER.search(norm) else found


# The customer back to us after a loss (「之前丢的那个单子 他们用了别家的 现在问题很多 想再找我们聊聊」): the latest
# state of the message is a new start (convention rule 4), a lead.
_REOPENED = re.compile(r"(?:想|又|重新|再)(?:来|回来)?找(?:我们|我司)|(?:重新|又)(?:联系|接触)(?:我们|我司)")
_LOSS_WORD = re.compile(r"丢|黄了|别家|竞品|友商|没中|落标|落选")


def stage_from_phrases(text: str, first_pass: Stage | None) -> Stage | None:
    """Stage phrases the first pass misses (我们中了, 丢标, 没谈拢); a conditional 「再让3个点就签」 is
    still a negotiation, not a deal."""
    if (back := _REOPENED.search(text)) and (
        first_pass is Stage.LOST or _LOSS_WORD.search(text, 0, back.start()) or _LOST_PHRASES.search(text, 0, back.start())
    ):
        lost_later = _LOST_PHRASES.search(text, back.end()) or _LOSS_WORD.search(text, back.end())
        if not lost_later and not _WON_PHRASES.search(text, back.end()):
            return Stage.LEAD
    conditional_loss = False
    for m in _LOST_PHRASES.finditer(text):
        clause = text[max(text.rfind(c, 0, m.start()) for c in ",，。;；!！ ") + 1 : m.start()]
        if re.search(r"如果|要是|万一|否则|不然|的话", clause) or conditional(text, m.start()):
            conditional_loss = True  # 「如果价格降不下来就没戏了」: the price is still being talked about
        elif not re.search(r"差点|险些|不是|没有|[没不未](?:会|能|要|再|想|打算|准备|考虑)?被?$", clause):
            # not 「差点丢单」, 「不是丢单」; the later of a loss and a deal is the outcome (「本来黄了 后来又签了」)
            return Stage.WON if _won_after(text, m.end()) else Stage.LOST
    if re.search(r"没谈拢|谈不拢|没谈成(?!什么|啥)|谈不成", text) or conditional_loss:
        return Stage.NEGOTIATION  # still talking: not lost yet
    if sign := _CONDITIONAL_SIGN.search(text):
        # 「如果下个月测试通过就下单」: the condition is the test still under way
        return Stage.EVALUATION if _TEST_CONDITION.search(sign.group()) else Stage.NEGOTIATION
    pending_deal = False
    for won in _WON_PHRASES.finditer(text):
        # not 「还没签」, 「等签字」, 「再签」, 「就差最后一个签字了」
        before_won = text[max(0, won.start() - 8) : won.start()]
        if re.search(r"(?:[没不未]|没有|尚未)$", before_won):
            continue
        if (
            re.search(r"[等要再催]$|[就只还]差[^,，。;；!！?？\s]{0,5}$", before_won)
            or pending(text, won.start(), won.end())
            or _PROCESS_AFTER.match(text, won.end())
        ):
            # 「催了下合同盖章」, 「下周五签」: a signature or an order being arranged is a negotiation
            pending_deal = pending_deal or bool(re.search(r"签|章|合同|单|po", won.group(), re.I))
            continue
        return Stage.WON
    if first_pass in (Stage.WON, Stage.LOST):
        return first_pass
    if (
        _NEGOTIATION_PHRASES.search(text)
        or _price_points(text)
        or pending_deal
        or _price_objection(text)
        or _open_contract(text)
    ):
        return Stage.NEGOTIATION
    if first_pass is None or first_pass is Stage.LEAD:
        if _EVALUATION_PHRASES.search(text):
            return Stage.EVALUATION
        if first_pass is None and _NEED_TALKED.search(text) and not _LEAD_PHRASES.search(text):
            return Stage.EVALUATION
        if first_pass is None and _LEAD_PHRASES.search(text):
            return Stage.LEAD
    return first_pass


def refine(draft: VisitDraft, norm: str) -> VisitDraft:
    """The draft with the contact's title as written and the extra stage phrases applied."""
    title = draft.contact_title
    if draft.contact_name:
        if title and _honorific_only(draft.contact_name, title):
            title = None
        # An unknown customer's guessed name may have swallowed the title (「海康的IT经理小张」): only a
        # customer the index knows bounds where a title may start.
        known = draft.customer_mention if draft.candidates else None
        title = written_title(norm, draft.contact_name, known) or title
    return replace(
        draft,
        contact_title=title,
        stage_hint=_stage_of(norm, draft.stage_hint),
        channel=detect_channel(_without_plan(norm, draft.next_step)),
    )


def _stage_of(norm: str, first_pass: Stage | None) -> Stage | None:
    """The stage phrases over the first pass; dictated text is read with its blanks closed, and as written where
    that reading finds nothing (as ``visit_text.parse_visit`` does for the first pass)."""
    closed = closed_words(norm)
    stage = no_lead_on_handover(stage_from_phrases(stage_text(closed), first_pass), closed)
    if stage is None and closed != norm:
        stage = no_lead_on_handover(stage_from_phrases(stage_text(norm), None), norm)
    return stage


def _without_plan(norm: str, next_step: str | None) -> str:
    """The message without its next-step clauses: 「电话沟通 明天去现场」 was a call, the visit is the plan.
    Only when something is left (「下周二上门」 alone keeps its words)."""
    rest = norm
    for piece in (next_step or "").split("，"):
        if piece:
            rest = rest.replace(piece, " ")
    return rest if rest.strip() and any(rx.search(rest) for _, rx in _CHANNELS) else norm
