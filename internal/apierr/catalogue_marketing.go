package apierr

import "net/http"

// The codes of live marketing: coupons, draws, red packets, gifts. Declare each code here
// with its row below; TestCatalogueDocumented keeps docs/errors.md and the
// OpenAPI enum equal to the whole catalogue. Two sections, so the coupon
// and the games (draw, red packet, gift, wallet) areas never edit the same
// lines: couponEntries (codes prefixed coupon_) and gameEntries.
var marketingEntries = concat(couponEntries, gameEntries)

// Coupons (commerce/marketing/coupon).
const (
	CodeCouponNotFound     Code = "coupon_not_found"
	CodeCouponInvalid      Code = "coupon_invalid"
	CodeCouponNotStarted   Code = "coupon_not_started"
	CodeCouponExpired      Code = "coupon_expired"
	CodeCouponGone         Code = "coupon_gone"
	CodeCouponUserLimit    Code = "coupon_user_limit"
	CodeCouponAudience     Code = "coupon_audience"
	CodeCouponNotClaimed   Code = "coupon_not_claimed"
	CodeCouponStackKind    Code = "coupon_stack_same_kind"
	CodeCouponStackExclude Code = "coupon_stack_exclusive"
	CodeCouponStackPercent Code = "coupon_stack_percent"
	CodeCouponMinSpend     Code = "coupon_min_spend"
	CodeCouponProducts     Code = "coupon_products"
	CodeCouponCurrency     Code = "coupon_currency"
	CodeCouponTooMany      Code = "coupon_too_many"
	CodeCouponVetoed       Code = "coupon_vetoed"
)

var couponEntries = []Entry{
	{CodeCouponNotFound, http.StatusNotFound, "no such coupon", 0},
	{CodeCouponInvalid, http.StatusBadRequest, "the coupon template is not valid", 0},
	{CodeCouponNotStarted, http.StatusConflict, "the coupon cannot be claimed or used yet", 0},
	{CodeCouponExpired, http.StatusConflict, "the coupon has expired", 0},
	{CodeCouponGone, http.StatusConflict, "every coupon has been claimed", 0},
	{CodeCouponUserLimit, http.StatusConflict, "you have claimed as many of this coupon as one person may", 0},
	{CodeCouponAudience, http.StatusForbidden, "this coupon is for another audience (ticket holders or a customer group)", 0},
	{CodeCouponNotClaimed, http.StatusConflict, "the coupon is not yours to use (not claimed, or used by another order)", 0},
	{CodeCouponStackKind, http.StatusConflict, "an order may use at most one coupon of each kind", 0},
	{CodeCouponStackExclude, http.StatusConflict, "this coupon cannot be combined with other coupons", 0},
	{CodeCouponStackPercent, http.StatusConflict, "a percent-off coupon cannot be combined with an amount-off or threshold coupon", 0},
	{CodeCouponMinSpend, http.StatusConflict, "the order does not reach the coupon's minimum spend", 0},
	{CodeCouponProducts, http.StatusConflict, "the coupon does not apply to the products of this order", 0},
	{CodeCouponCurrency, http.StatusConflict, "the coupon is in another currency than the order", 0},
	{CodeCouponTooMany, http.StatusBadRequest, "too many coupons in one order", 0},
	{CodeCouponVetoed, http.StatusForbidden, "the shop's risk check refused this claim", 0},
}

// Games: draws, red packets, gifts and wallets (commerce/marketing/{draw,redpacket,gift,wallet}).
const (
	CodeDrawNotFound       Code = "draw_not_found"
	CodeDrawInvalid        Code = "draw_invalid"
	CodeDrawClosed         Code = "draw_closed"
	CodeDrawStillOpen      Code = "draw_still_open"
	CodeDrawNotEligible    Code = "draw_not_eligible"
	CodeDrawNewAccount     Code = "draw_new_account"
	CodeDrawNotWinner      Code = "draw_not_winner"
	CodeDrawClaimOver      Code = "draw_claim_over"
	CodeDrawVetoed         Code = "draw_vetoed"
	CodeRedPacketNotFound  Code = "redpacket_not_found"
	CodeRedPacketInvalid   Code = "redpacket_invalid"
	CodeRedPacketEmpty     Code = "redpacket_empty"
	CodeRedPacketClosed    Code = "redpacket_closed"
	CodeRedPacketNotOpen   Code = "redpacket_not_open"
	CodeGiftNotFound       Code = "gift_not_found"
	CodeGiftInvalid        Code = "gift_invalid"
	CodeWalletInsufficient Code = "wallet_insufficient"
	CodeWalletInvalid      Code = "wallet_invalid"
)

var gameEntries = []Entry{
	{CodeDrawNotFound, http.StatusNotFound, "no such draw", 0},
	{CodeDrawInvalid, http.StatusBadRequest, "the draw is not valid", 0},
	{CodeDrawClosed, http.StatusConflict, "the draw is closed", 0},
	{CodeDrawStillOpen, http.StatusConflict, "the draw is still open: its entries and winners are published when it closes", 0},
	{CodeDrawNotEligible, http.StatusForbidden, "the draw's entry rule does not admit you", 0},
	{CodeDrawNewAccount, http.StatusForbidden, "accounts created after the draw opened cannot enter it", 0},
	{CodeDrawNotWinner, http.StatusForbidden, "you did not win this draw", 0},
	{CodeDrawClaimOver, http.StatusConflict, "the time to claim this prize is over", 0},
	{CodeDrawVetoed, http.StatusForbidden, "the shop's risk check refused this", 0},
	{CodeRedPacketNotFound, http.StatusNotFound, "no such red packet", 0},
	{CodeRedPacketInvalid, http.StatusBadRequest, "the red packet is not valid", 0},
	{CodeRedPacketEmpty, http.StatusConflict, "every packet has been grabbed", 0},
	{CodeRedPacketClosed, http.StatusConflict, "the red packet has ended", 0},
	{CodeRedPacketNotOpen, http.StatusConflict, "the red packet is not open yet", 0},
	{CodeGiftNotFound, http.StatusNotFound, "no such gift", 0},
	{CodeGiftInvalid, http.StatusBadRequest, "the gift is not valid", 0},
	{CodeWalletInsufficient, http.StatusConflict, "the wallet's balance is too low", 0},
	{CodeWalletInvalid, http.StatusBadRequest, "the wallet movement is not valid", 0},
}
