"""Titles and summaries of the demo help-centre articles (kb.demo).

Per demo topic and language: the question as a customer asks it, and the answer in one sentence. The rest of each
article is written from the demo phrase tables (records.demo_phrases).
"""

from __future__ import annotations

#: topic -> language -> (title as the customer asks it, one-sentence summary).
QUESTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "delivery_delay": {
        "zh": (
            "订单下了好几天，快递还没送到怎么办？",
            "包裹超时未送达或迟迟不发货时，客服会查物流、催快递或仓库，并视情况补偿、补发或退款。",
        ),
        "en": (
            "My order hasn't arrived yet. What can I do?",
            "When a parcel is late or not yet dispatched, we chase the carrier or warehouse and offer a credit, a "
            "replacement or a refund.",
        ),
    },
    "lost_package": {
        "zh": (
            "物流显示已签收，但我没收到包裹怎么办？",
            "包裹显示签收却没收到、或快递说找不到件时，我们会发起丢件调查，确认后补发或退款。",
        ),
        "en": (
            "Tracking says delivered but I never got my parcel. What now?",
            "If a parcel shows as delivered but never reached you, we open a lost-parcel investigation and then "
            "replace or refund it.",
        ),
    },
    "address_change": {
        "zh": (
            "下单后怎么修改收货地址？",
            "未发货的订单可以直接改地址；已发货的包裹可以申请快递改派，可能晚一天送达。",
        ),
        "en": (
            "How do I change the delivery address of my order?",
            "Orders not yet dispatched can be changed directly; parcels on their way can be rerouted, usually a day "
            "later.",
        ),
    },
    "wrong_item": {
        "zh": (
            "收到的商品发错了或少发了怎么办？",
            "错发或漏发时请拍照联系我们，核实后补发正确商品或缺件，错发商品由快递上门取回。",
        ),
        "en": (
            "I received the wrong item or something is missing. What should I do?",
            "Send us photos of what arrived; we send the right item or the missing part and collect the wrong one.",
        ),
    },
    "refund_progress": {
        "zh": (
            "退款多久到账？为什么还没收到退款？",
            "退款成功后一般1-5个工作日原路到账；退款卡住或金额不对时，客服会帮您催办或解释计算方式。",
        ),
        "en": (
            "How long does a refund take, and why haven't I received mine?",
            "Refunds reach the original payment method within 1-5 business days; if one is stuck or short, we chase or"
            " explain it.",
        ),
    },
    "duplicate_charge": {
        "zh": (
            "同一笔订单被重复扣款了怎么办？",
            "确认重复扣款后我们会退回多扣的款项；有时第二笔只是银行预授权，会自动解冻。",
        ),
        "en": (
            "I was charged twice for one order. How do I get my money back?",
            "A confirmed duplicate charge is refunded; sometimes the second one is only a bank pre-authorisation that "
            "drops off.",
        ),
    },
    "subscription": {
        "zh": (
            "怎么关闭会员自动续费？被自动扣费能退吗？",
            "在“我的-会员-管理自动续费”可以关闭；未使用的续费在7天内可申请退款。",
        ),
        "en": (
            "How do I turn off auto-renewal, and can I get a renewal refunded?",
            "Turn auto-renew off under Account > Membership; an unused renewal can be refunded within 7 days.",
        ),
    },
    "price_dispute": {
        "zh": (
            "刚买完就降价了，能退差价吗？",
            "15天价格保护期内降价可以申请退差价；优惠未生效或多收费用时，客服会核实并补偿。",
        ),
        "en": (
            "The price dropped right after I bought it. Can I get the difference back?",
            "Within the 15-day price protection we refund the difference; a missing discount or unexpected fee is "
            "checked and put right.",
        ),
    },
    "login": {
        "zh": (
            "App登录不上怎么办？",
            "登录失败时先清除缓存、更新App或改用网页端；收不到验证码可以改用语音验证码。",
        ),
        "en": (
            "I can't log in to the app. What should I do?",
            "Clear the cache, update the app or use the web version; if the code never arrives, use a voice code.",
        ),
    },
    "password_reset": {
        "zh": (
            "忘记密码了怎么重置？",
            "在登录页点“忘记密码”，用短信验证码即可重置；手机号停用或收不到邮件时，客服会帮您换一种方式。",
        ),
        "en": (
            "I forgot my password. How do I reset it?",
            "Use Forgot password on the sign-in page with an SMS code; if your number or e-mail no longer works, we "
            "help another way.",
        ),
    },
    "account_locked": {
        "zh": (
            "账号被冻结或锁定了怎么解除？",
            "密码输错导致的锁定可用验证码登录立即解锁；风控限制需核实身份后由风控部复核解冻。",
        ),
        "en": (
            "My account is locked or frozen. How do I get it unlocked?",
            "A lock after wrong passwords lifts with an SMS code sign-in; a risk hold is reviewed by Risk Control "
            "after an identity check.",
        ),
    },
    "security_alert": {
        "zh": (
            "收到异常登录提醒，账号被盗了怎么办？",
            "不是本人登录时，我们会强制下线所有设备，请立即修改密码并开启两步验证；官方不会发链接索要密码。",
        ),
        "en": (
            "I got a sign-in alert that wasn't me. Has my account been hacked?",
            "We sign out every device; change your password and turn on two-step verification. We never ask for "
            "passwords by text.",
        ),
    },
    "app_crash": {
        "zh": (
            "App打开就闪退怎么办？",
            "先清除缓存并重启手机；仍然闪退时请提供录屏和机型，我们会尽快在新版本修复。",
        ),
        "en": (
            "The app keeps crashing. How do I fix it?",
            "Clear the cache and restart the phone; if it still crashes, send us a screen recording and your device so"
            " we can fix it.",
        ),
    },
    "data_sync": {
        "zh": (
            "数据不同步怎么办？",
            "下拉刷新、重新登录或重新绑定设备通常就能恢复同步；仍然缺数据时由技术部补齐。",
        ),
        "en": (
            "My data isn't syncing. What can I do?",
            "Refreshing, signing in again or re-pairing the device usually fixes it; missing data is restored by "
            "Engineering.",
        ),
    },
    "payment_failure": {
        "zh": (
            "付款失败了，或者扣了款订单还显示待付款怎么办？",
            "付款失败可以换一种支付方式；已扣款但订单未更新时，钱不会丢失，我们会补单或原路退回。",
        ),
        "en": (
            "My payment failed or the order still says awaiting payment. What now?",
            "Try another payment method; if you were charged but the order did not update, the money is safe and we "
            "reconcile or refund it.",
        ),
    },
    "notification": {
        "zh": (
            "收不到通知，或者推送太多怎么办？",
            "检查手机通知权限和“设置-消息通知”；营销推送和短信可以随时关闭。",
        ),
        "en": (
            "I'm not getting notifications, or getting too many. How do I fix it?",
            "Check the phone's notification permission and Settings > Notifications; marketing messages can be "
            "switched off anytime.",
        ),
    },
    "invoice_request": {
        "zh": (
            "怎么开发票、下载电子发票或重开发票？",
            "在“订单详情-申请开票”开票，在“我的-发票管理”下载电子发票；抬头开错可作废重开。",
        ),
        "en": (
            "How do I get, download or correct an invoice?",
            "Request it under Order details, download it under Account > Invoices; a wrong invoice is voided and "
            "reissued.",
        ),
    },
    "order_change": {
        "zh": (
            "下单后还能修改规格、数量或配送时间吗？",
            "未发货的订单可以修改规格、数量或备注配送时间；已打包的订单需要仓库拦截后重新下单。",
        ),
        "en": (
            "Can I change the option, quantity or delivery time of my order?",
            "Orders awaiting dispatch can be changed; packed orders are held by the warehouse and recreated.",
        ),
    },
    "order_cancel": {
        "zh": (
            "怎么取消订单？",
            "未发货的订单可以直接取消并原路退款；已出库的订单需要仓库拦截，也可以收货后7天无理由退货。",
        ),
        "en": (
            "How do I cancel my order?",
            "An order not yet dispatched is cancelled and refunded; a dispatched one is intercepted, or returned "
            "within 7 days.",
        ),
    },
    "return_request": {
        "zh": (
            "怎么申请退货？退货运费谁出？",
            "签收7天内可以无理由退货；质量问题退货的运费由平台承担。",
        ),
        "en": (
            "How do I return an item, and who pays return shipping?",
            "You can return an item within 7 days without a reason; we pay shipping when the item is faulty.",
        ),
    },
    "exchange": {
        "zh": (
            "商品怎么换货？",
            "尺码、颜色不合适或保修期内故障都可以换货，信用良好的用户可以先换后退。",
        ),
        "en": (
            "How do I exchange an item?",
            "Wrong size, colour or a fault under warranty can be exchanged; some customers get the new item first.",
        ),
    },
    "damaged_goods": {
        "zh": (
            "收到的商品破损了怎么办？",
            "请拍下商品和外包装照片联系我们，运输破损会换新、补发配件或退款。",
        ),
        "en": (
            "My item arrived damaged. What should I do?",
            "Send photos of the item and the box; transit damage gets a replacement, the missing part or a refund.",
        ),
    },
    "agent_attitude": {
        "zh": (
            "对客服的服务态度不满意，怎么投诉？",
            "告诉我们时间和客服工号，主管会核查录音并回电致歉，同时处理您原来的问题。",
        ),
        "en": (
            "How do I complain about a support agent?",
            "Tell us when it happened and the agent's ID; a supervisor reviews the conversation, apologises and solves"
            " the original issue.",
        ),
    },
    "slow_response": {
        "zh": (
            "客服一直联系不上、回复太慢怎么办？",
            "高峰期排队会较久；超时未处理的工单会升级为高优先级并指定专人跟进。",
        ),
        "en": (
            "Support is slow to answer. How can I get help faster?",
            "Queues are longer at peak times; overdue tickets are raised to high priority with a named owner.",
        ),
    },
    "complaint": {
        "zh": (
            "对商品质量或售后不满意，怎么投诉？",
            "投诉会升级到主管并转售后部处理，在承诺时限内给您答复，可换新、退款或延长保修。",
        ),
        "en": (
            "How do I complain about product quality or after-sales service?",
            "Complaints go to a supervisor and After-sales, with an answer by an agreed date: a new unit, a refund or "
            "a longer warranty.",
        ),
    },
    "suggestion": {
        "zh": (
            "能导出订单吗？怎么提功能建议？",
            "订单导出已登记为产品需求；在此之前，客服可以为您人工导出近3个月的订单。",
        ),
        "en": (
            "Can I export my orders, and how do I suggest a feature?",
            "Order export is on the product roadmap; until then support can send you the last 3 months of orders.",
        ),
    },
    "feature_usage": {
        "zh": (
            "找不到某个功能的入口，怎么用？",
            "新版本调整过部分入口，可以查看帮助中心的图文教程，或让客服一步步指导。",
        ),
        "en": (
            "How do I use a feature I can't find?",
            "Some menus moved in the new version; follow the help-centre guide or let support walk you through it.",
        ),
    },
    "account_settings": {
        "zh": (
            "怎么修改绑定手机、昵称，或者注销账号？",
            "在“设置-账号与安全”修改手机号和昵称；注销账号不可恢复，提交申请7天后生效。",
        ),
        "en": (
            "How do I change my phone number or display name, or delete my account?",
            "Change them under Settings > Account & security; deleting an account cannot be undone and takes effect "
            "after 7 days.",
        ),
    },
    "other": {
        "zh": (
            "有线下门店、以旧换新或商务合作吗？",
            "门店地址、活动规则和商务合作邮箱都可以咨询客服获取。",
        ),
        "en": (
            "Do you have stores, trade-in offers or partnerships?",
            "Ask support for the nearest store, the current promotion rules or the partnerships contact.",
        ),
    },
}
