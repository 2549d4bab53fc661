"""A realistic transactional HTML email of a given size, for the benchmarks (no secret in it)."""

def realistic_html(target: int = 20_000) -> str:
    """A transactional HTML email: tables, inline styles, colours, links with tracking query strings,
    an order summary with prices, quantities, dates, an address and a footer."""
    head = ('<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            '<style>body{margin:0;padding:0;background:#f4f4f7;font-family:Helvetica,Arial,sans-serif}'
            '.btn{background:#3869d4;color:#ffffff;border-radius:3px;padding:10px 18px}</style></head>'
            '<body><table width="100%" cellpadding="0" cellspacing="0" role="presentation" style="background:#f4f4f7">'
            '<tr><td align="center"><table width="600" cellpadding="0" cellspacing="0" style="width:600px">'
            '<tr><td style="padding:25px 0;text-align:center"><a href="https://shop.example.com/?utm_source=email'
            '&amp;utm_medium=transactional&amp;utm_campaign=order_2026_11"><img src="https://cdn.example.com/logo@2x.png"'
            ' width="120" height="36" alt="Shop"></a></td></tr>'
            '<tr><td style="padding:35px;background:#ffffff"><h1 style="font-size:22px;color:#333333">Thanks for your '
            'order, Ada!</h1><p style="font-size:16px;line-height:1.625;color:#51545e">Order #100482 was placed on '
            'November 28, 2026 at 14:32. You can track it at any time, or reply to this email if anything looks '
            'wrong. Forgot your password? <a href="https://shop.example.com/account/reset">Reset it here</a>.</p>')
    rows = []
    i = 0
    while len(head) + sum(map(len, rows)) < target - 900:
        i += 1
        rows.append(f'<tr><td style="padding:8px 0;border-bottom:1px solid #eaeaec;color:#51545e;font-size:15px">'
                    f'<a href="https://shop.example.com/p/{1000 + i}?ref=email&amp;sku=SKU-{48210 + i * 7}">'
                    f'Organic cotton T-shirt, size M, colour #{i % 9}{i % 7}{i % 5}</a> &times; {1 + i % 3}</td>'
                    f'<td align="right" style="padding:8px 0;color:#333333">'
                    f'&euro;{19 + i % 40}.{i * 37 % 100:02d}</td></tr>')
    foot = ('<tr><td style="padding:20px 0;color:#a8aaaf;font-size:13px">Shipping to: Ada Lovelace, 12 Analytical '
            'Way, London NW1 6XE, United Kingdom. Phone +44 20 7946 0958. Estimated delivery 2026-12-03.</td></tr>'
            '<tr><td style="font-size:12px;color:#a8aaaf">Shop Ltd, VAT GB 123 4567 89, Company no. 08123456. '
            '<a href="https://shop.example.com/unsubscribe?u=9f8e7d6c5b4a&amp;list=orders">Unsubscribe</a> '
            '&middot; &copy; 2026 Shop</td></tr></table></td></tr></table></body></html>')
    return head + "<table width=\"100%\">" + "".join(rows) + "</table></td></tr>" + foot
