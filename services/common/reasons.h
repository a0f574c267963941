// The catalogue of error reasons: every google.rpc.ErrorInfo.reason a casecoord component can put
// in a Status, declared once with the gRPC code it always travels with and the Japanese message
// people read (google.rpc.LocalizedMessage, locale ja-JP).
//
// A Status is built from a Reason (`Status(Reason::kCasePurged, "cases/7 was purged")`), so a
// reason cannot drift from its code, and callers test for one with `status.Is(Reason::k…)`, never
// by comparing strings. The names are part of the API: clients match on them; renaming one is a
// breaking change. Stale etags have one name, STALE_ETAG (ABORTED), in every area.
//
// Thread safety: the catalogue is immutable static data.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "services/common/status_code.h"

namespace casecoord {

// X(id, "NAME", code, "Japanese message"). Sections group reasons by the area that raises them.
// clang-format off
#define CASECOORD_REASONS(X) \
  /* Requests: fields, identity, limits */ \
  X(kInvalidField, "INVALID_FIELD", kInvalidArgument, "入力内容に誤りがあります") \
  X(kRequestIdReused, "REQUEST_ID_REUSED", kInvalidArgument, "同じ要求IDが別の内容で使われています。新しい要求IDでやり直してください") \
  X(kSeparationOfDuties, "SEPARATION_OF_DUTIES", kInvalidArgument, "職務分離の規則により、この組み合わせの役割は付与できません") \
  X(kNotFound, "NOT_FOUND", kNotFound, "指定されたものが見つかりません") \
  X(kUnknownOrDisabledUser, "UNKNOWN_OR_DISABLED_USER", kUnauthenticated, "利用者を確認できません（クライアント証明書を確認してください）") \
  X(kRoleNotAllowed, "ROLE_NOT_ALLOWED", kPermissionDenied, "この操作を行う権限がありません") \
  X(kNotAssigned, "NOT_ASSIGNED", kPermissionDenied, "担当として割り当てられていないため操作できません") \
  X(kRateLimited, "RATE_LIMITED", kResourceExhausted, "要求が多すぎます。しばらくしてから再度お試しください") \
  X(kServerBusy, "SERVER_BUSY", kResourceExhausted, "サーバーが混み合っています。しばらくしてから再度お試しください") \
  X(kTooManyStreams, "TOO_MANY_STREAMS", kResourceExhausted, "同時に開ける通知の数を超えています") \
  X(kStaleEtag, "STALE_ETAG", kAborted, "他の更新と競合しました。最新の内容を取得してやり直してください") \
  X(kCancelled, "CANCELLED", kCancelled, "要求は取り消されました") \
  X(kHandlerFailed, "HANDLER_FAILED", kInternal, "内部エラーが発生しました。管理者に連絡してください") \
  X(kMethodWithoutPolicy, "METHOD_WITHOUT_POLICY", kInternal, "この操作の権限設定がありません。管理者に連絡してください") \
  /* Audit trail */ \
  X(kAuditUnavailable, "AUDIT_UNAVAILABLE", kUnavailable, "監査証跡に記録できないため、操作を行えません") \
  X(kUnauditedWrite, "UNAUDITED_WRITE", kInternal, "監査記録のない変更は行えません。管理者に連絡してください") \
  X(kAuditEntryTooLarge, "AUDIT_ENTRY_TOO_LARGE", kInternal, "結果が大きすぎて監査記録に収まりません。条件を絞ってください") \
  X(kAuditEntryCorrupt, "AUDIT_ENTRY_CORRUPT", kDataLoss, "監査記録が破損しています。管理者に連絡してください") \
  X(kAuditKeyCheckCorrupt, "AUDIT_KEY_CHECK_CORRUPT", kDataLoss, "監査鍵の検査値が破損しています。管理者に連絡してください") \
  X(kAuditKeyMismatch, "AUDIT_KEY_MISMATCH", kFailedPrecondition, "監査鍵がこの監査証跡のものではありません") \
  X(kAuditLastEntryUnverified, "AUDIT_LAST_ENTRY_UNVERIFIED", kFailedPrecondition, "監査証跡の最後の記録を検証できません") \
  X(kAuditNothingToRecover, "AUDIT_NOTHING_TO_RECOVER", kFailedPrecondition, "監査証跡に復旧すべき異常はありません") \
  X(kAuditHeadMissing, "AUDIT_HEAD_MISSING", kDataLoss, "監査証跡の先頭情報がありません。管理者に連絡してください") \
  X(kAuditHeadCorrupt, "AUDIT_HEAD_CORRUPT", kDataLoss, "監査証跡の先頭情報が破損しています。管理者に連絡してください") \
  X(kAuditHeadBehind, "AUDIT_HEAD_BEHIND", kDataLoss, "監査証跡の先頭情報が記録より古くなっています。管理者に連絡してください") \
  X(kAuditTruncated, "AUDIT_TRUNCATED", kDataLoss, "監査証跡の末尾が失われています。管理者に連絡してください") \
  X(kAuditHeadMismatch, "AUDIT_HEAD_MISMATCH", kDataLoss, "監査証跡の先頭情報が記録と一致しません。管理者に連絡してください") \
  X(kEmergencyAccessCorrupt, "EMERGENCY_ACCESS_CORRUPT", kInternal, "緊急アクセスの記録が破損しています。管理者に連絡してください") \
  /* Users */ \
  X(kUserExists, "USER_EXISTS", kAlreadyExists, "この利用者は既に登録されています") \
  X(kUserNotFound, "USER_NOT_FOUND", kNotFound, "利用者が見つかりません") \
  X(kUserRecordCorrupt, "USER_RECORD_CORRUPT", kDataLoss, "利用者の記録が破損しています。管理者に連絡してください") \
  X(kLastAuditor, "LAST_AUDITOR", kFailedPrecondition, "最後の監査担当者は無効にできません") \
  /* Storage, keys and backups */ \
  X(kIoError, "IO_ERROR", kInternal, "ファイルの読み書きに失敗しました。管理者に連絡してください") \
  X(kStorageError, "STORAGE_ERROR", kInternal, "データベースでエラーが発生しました。管理者に連絡してください") \
  X(kStorageBusy, "STORAGE_BUSY", kUnavailable, "データベースが混み合っています。しばらくしてから再度お試しください") \
  X(kStorageUnavailable, "STORAGE_UNAVAILABLE", kUnavailable, "データベースを一時的に利用できません") \
  X(kStorageCorruption, "STORAGE_CORRUPTION", kDataLoss, "データベースが破損しています。管理者に連絡してください") \
  X(kStorageInvalidArgument, "STORAGE_INVALID_ARGUMENT", kFailedPrecondition, "データベースの設定に誤りがあります") \
  X(kStorageLocked, "STORAGE_LOCKED", kFailedPrecondition, "データベースは別のプロセスが使用中です") \
  X(kStorageNotFound, "STORAGE_NOT_FOUND", kNotFound, "データベースの中に指定されたものがありません") \
  X(kNoDatabase, "NO_DATABASE", kNotFound, "データベースがありません") \
  X(kCounterCorrupt, "COUNTER_CORRUPT", kDataLoss, "集計値が破損しています。管理者に連絡してください") \
  X(kCounterKeyCorrupt, "COUNTER_KEY_CORRUPT", kDataLoss, "集計値のキーが破損しています。管理者に連絡してください") \
  X(kErasureCorrupt, "ERASURE_CORRUPT", kDataLoss, "消去記録が破損しています。管理者に連絡してください") \
  X(kRequestLedgerCorrupt, "REQUEST_LEDGER_CORRUPT", kDataLoss, "要求IDの記録が破損しています。管理者に連絡してください") \
  X(kRandomFailure, "RANDOM_FAILURE", kInternal, "乱数を生成できませんでした。管理者に連絡してください") \
  X(kNotEncrypted, "NOT_ENCRYPTED", kFailedPrecondition, "暗号化されていないファイルです") \
  X(kBadHeader, "BAD_HEADER", kDataLoss, "暗号化ヘッダーが途中で切れています") \
  X(kUnsupportedHeader, "UNSUPPORTED_HEADER", kFailedPrecondition, "対応していない版の暗号化ヘッダーです") \
  X(kHeaderTampered, "HEADER_TAMPERED", kDataLoss, "暗号化ヘッダーが改ざんされています") \
  X(kTruncatedFile, "TRUNCATED_FILE", kDataLoss, "ファイルが途中で切れています") \
  X(kWalHeaderLost, "WAL_HEADER_LOST", kDataLoss, "更新ログの暗号化ヘッダーが失われています") \
  X(kWrongKey, "WRONG_KEY", kFailedPrecondition, "暗号鍵が違います") \
  X(kFileNotFound, "FILE_NOT_FOUND", kNotFound, "ファイルが見つかりません") \
  X(kNotADirectory, "NOT_A_DIRECTORY", kFailedPrecondition, "指定された場所はディレクトリではありません") \
  X(kEncryptedDatabase, "ENCRYPTED_DATABASE", kFailedPrecondition, "暗号化されたデータベースです。鍵を指定してください") \
  X(kPlaintextDatabase, "PLAINTEXT_DATABASE", kFailedPrecondition, "暗号化されていないデータベースは開けません") \
  X(kEncryptedBackup, "ENCRYPTED_BACKUP", kFailedPrecondition, "暗号化されたバックアップです。鍵を指定してください") \
  X(kPlaintextBackup, "PLAINTEXT_BACKUP", kFailedPrecondition, "暗号化されていないバックアップは使えません") \
  X(kBackupNotFound, "BACKUP_NOT_FOUND", kNotFound, "バックアップが見つかりません") \
  X(kTargetNotEmpty, "TARGET_NOT_EMPTY", kFailedPrecondition, "復元先のディレクトリが空ではありません") \
  X(kBackupVerificationFailed, "BACKUP_VERIFICATION_FAILED", kDataLoss, "バックアップの検証に失敗しました。管理者に連絡してください") \
  X(kOffsiteUnavailable, "OFFSITE_UNAVAILABLE", kUnavailable, "バックアップの保管先に接続できません") \
  X(kOffsiteRefused, "OFFSITE_REFUSED", kFailedPrecondition, "バックアップの保管先が要求を拒否しました（認証情報と設定を確認してください）") \
  X(kOffsiteObjectNotFound, "OFFSITE_OBJECT_NOT_FOUND", kNotFound, "保管先にバックアップのファイルが見つかりません") \
  X(kOffsiteCopyCorrupt, "OFFSITE_COPY_CORRUPT", kDataLoss, "保管先のバックアップが破損しています") \
  X(kKeyFileExists, "KEY_FILE_EXISTS", kFailedPrecondition, "鍵ファイルは既に存在します") \
  X(kKeyFileMalformed, "KEY_FILE_MALFORMED", kFailedPrecondition, "鍵ファイルの形式が正しくありません") \
  X(kKeyFilePermissions, "KEY_FILE_PERMISSIONS", kFailedPrecondition, "鍵ファイルが他の利用者から読める設定になっています") \
  X(kKeyFileUnreadable, "KEY_FILE_UNREADABLE", kFailedPrecondition, "鍵ファイルを読めません") \
  X(kKeyMalformed, "KEY_MALFORMED", kFailedPrecondition, "鍵の形式が正しくありません") \
  X(kKeyNotSet, "KEY_NOT_SET", kNotFound, "鍵が設定されていません") \
  X(kNoKey, "NO_KEY", kFailedPrecondition, "データベースの暗号鍵が指定されていません") \
  X(kNoAuditKey, "NO_AUDIT_KEY", kFailedPrecondition, "監査鍵が指定されていません") \
  /* Server start */ \
  X(kBindFailed, "BIND_FAILED", kUnavailable, "指定されたアドレスで待ち受けできません") \
  X(kStartFailed, "START_FAILED", kUnavailable, "サーバーを起動できません") \
  X(kFdLimitTooLow, "FD_LIMIT_TOO_LOW", kFailedPrecondition, "開けるファイル数の上限が低すぎます") \
  X(kUnsafeInProduction, "UNSAFE_IN_PRODUCTION", kFailedPrecondition, "本番モードでは使えない設定です") \
  X(kDemoDirectoryInvalid, "DEMO_DIRECTORY_INVALID", kFailedPrecondition, "デモ用の相談機関一覧に誤りがあります") \
  X(kDemoDirectoryUnreadable, "DEMO_DIRECTORY_UNREADABLE", kFailedPrecondition, "デモ用の相談機関一覧を読めません") \
  /* Agency directory and CSV */ \
  X(kAgencyExists, "AGENCY_EXISTS", kAlreadyExists, "この相談機関は既に登録されています") \
  X(kAgencyNotFound, "AGENCY_NOT_FOUND", kNotFound, "相談機関が見つかりません") \
  X(kAgencyRecordCorrupt, "AGENCY_RECORD_CORRUPT", kDataLoss, "相談機関の記録が破損しています。管理者に連絡してください") \
  X(kAgencyNotActive, "AGENCY_NOT_ACTIVE", kFailedPrecondition, "この相談機関は現在活動していません") \
  X(kCatalogNotLoaded, "CATALOG_NOT_LOADED", kFailedPrecondition, "相談機関一覧がまだ読み込まれていません") \
  X(kAnswerNotFound, "ANSWER_NOT_FOUND", kNotFound, "調査への回答が見つかりません") \
  X(kAnswerCorrupt, "ANSWER_CORRUPT", kDataLoss, "調査への回答の記録が破損しています。管理者に連絡してください") \
  X(kUndecodable, "UNDECODABLE", kInvalidArgument, "ファイルの文字コードを判別できません（UTF-8 または Shift_JIS で保存してください）") \
  X(kInvalidUtf8, "INVALID_UTF8", kInvalidArgument, "UTF-8 として正しくない文字が含まれています") \
  X(kNoHeader, "NO_HEADER", kInvalidArgument, "見出し行がありません") \
  X(kMissingColumns, "MISSING_COLUMNS", kInvalidArgument, "必要な列がありません") \
  X(kHeaderSpecMismatch, "HEADER_SPEC_MISMATCH", kInternal, "列の定義に誤りがあります。管理者に連絡してください") \
  X(kUnmappableCharacter, "UNMAPPABLE_CHARACTER", kInvalidArgument, "Shift_JIS で表せない文字が含まれています") \
  X(kNotRepresentableInCp932, "NOT_REPRESENTABLE_IN_CP932", kFailedPrecondition, "Shift_JIS で表せない文字があるため、UTF-8 で出力してください") \
  X(kConverterUnavailable, "CONVERTER_UNAVAILABLE", kInternal, "文字コード変換を利用できません。管理者に連絡してください") \
  X(kEncodingFailed, "ENCODING_FAILED", kInternal, "文字コードの変換に失敗しました") \
  /* Cases, referrals and consultations */ \
  X(kCasePurged, "CASE_PURGED", kFailedPrecondition, "この事例は保存期間を過ぎて消去されています") \
  X(kCaseOpen, "CASE_OPEN", kFailedPrecondition, "終結していない事例は消去できません") \
  X(kCaseEnded, "CASE_ENDED", kFailedPrecondition, "この事例は終結しています") \
  X(kCaseNotInSupport, "CASE_NOT_IN_SUPPORT", kFailedPrecondition, "支援決定されていない事例です") \
  X(kRetentionNotElapsed, "RETENTION_NOT_ELAPSED", kFailedPrecondition, "保存期間が過ぎていないため消去できません") \
  X(kIllegalTransition, "ILLEGAL_TRANSITION", kFailedPrecondition, "現在の状態からはその状態に移れません") \
  X(kAlreadyOnTeam, "ALREADY_ON_TEAM", kFailedPrecondition, "この相談機関は既に支援チームにいます") \
  X(kNotOnTeam, "NOT_ON_TEAM", kFailedPrecondition, "この相談機関は支援チームにいません") \
  X(kNoAgency, "NO_AGENCY", kFailedPrecondition, "利用者に所属する相談機関が設定されていません") \
  X(kReferralPending, "REFERRAL_PENDING", kFailedPrecondition, "この相談機関への紹介はまだ回答待ちです") \
  X(kReferralAnswered, "REFERRAL_ANSWERED", kFailedPrecondition, "この紹介には既に回答されています") \
  X(kCaseKeyUnknownKek, "CASE_KEY_UNKNOWN_KEK", kFailedPrecondition, "事例の鍵を開ける鍵暗号鍵がありません") \
  X(kEncryptionFailure, "ENCRYPTION_FAILURE", kInternal, "暗号化に失敗しました。管理者に連絡してください") \
  X(kSealMismatch, "SEAL_MISMATCH", kDataLoss, "個人情報の封印が一致しません。管理者に連絡してください") \
  X(kPersonalDataMismatch, "PERSONAL_DATA_MISMATCH", kDataLoss, "個人情報が別の版のものです。管理者に連絡してください") \
  X(kCaseRecordCorrupt, "CASE_RECORD_CORRUPT", kDataLoss, "事例の記録が破損しています。管理者に連絡してください") \
  X(kCaseEntryCorrupt, "CASE_ENTRY_CORRUPT", kDataLoss, "相談記録が破損しています。管理者に連絡してください") \
  X(kCaseEventCorrupt, "CASE_EVENT_CORRUPT", kDataLoss, "事例の経過記録が破損しています。管理者に連絡してください") \
  X(kCaseIndexCorrupt, "CASE_INDEX_CORRUPT", kDataLoss, "事例の索引が破損しています。管理者に連絡してください") \
  X(kCaseKeyCorrupt, "CASE_KEY_CORRUPT", kDataLoss, "事例の鍵が破損しています。管理者に連絡してください") \
  X(kCaseRequestCorrupt, "CASE_REQUEST_CORRUPT", kDataLoss, "事例の要求IDの記録が破損しています。管理者に連絡してください") \
  X(kCaseSequenceCorrupt, "CASE_SEQUENCE_CORRUPT", kDataLoss, "事例の採番記録が破損しています。管理者に連絡してください") \
  X(kReferralCorrupt, "REFERRAL_CORRUPT", kDataLoss, "紹介の記録が破損しています。管理者に連絡してください") \
  /* Meetings and plans */ \
  X(kConfidentialityNotAcknowledged, "CONFIDENTIALITY_NOT_ACKNOWLEDGED", kFailedPrecondition, "守秘義務の確認が済んでいません") \
  X(kNotAParticipant, "NOT_A_PARTICIPANT", kFailedPrecondition, "この会議の参加者ではありません") \
  X(kMeetingNotHeld, "MEETING_NOT_HELD", kFailedPrecondition, "この会議はまだ開催されていません") \
  X(kMeetingNotScheduled, "MEETING_NOT_SCHEDULED", kFailedPrecondition, "この会議は予定の状態ではありません") \
  X(kAssignmentNotFound, "ASSIGNMENT_NOT_FOUND", kNotFound, "役割の割り当てが見つかりません") \
  X(kMeetingCorrupt, "MEETING_CORRUPT", kDataLoss, "会議の記録が破損しています。管理者に連絡してください") \
  X(kMeetingKeyMissing, "MEETING_KEY_MISSING", kDataLoss, "会議の鍵がありません。管理者に連絡してください") \
  X(kMeetingRequestCorrupt, "MEETING_REQUEST_CORRUPT", kDataLoss, "会議の要求IDの記録が破損しています。管理者に連絡してください") \
  X(kMeetingSequenceCorrupt, "MEETING_SEQUENCE_CORRUPT", kDataLoss, "会議の採番記録が破損しています。管理者に連絡してください") \
  X(kPlanExists, "PLAN_EXISTS", kAlreadyExists, "この事例の支援計画は既にあります") \
  X(kPlanNotFound, "PLAN_NOT_FOUND", kNotFound, "支援計画が見つかりません") \
  X(kPlanNotCurrent, "PLAN_NOT_CURRENT", kFailedPrecondition, "最新版でない支援計画は変更できません") \
  X(kPlanCorrupt, "PLAN_CORRUPT", kDataLoss, "計画の記録が破損しています。管理者に連絡してください") \
  X(kPlanRecordCorrupt, "PLAN_RECORD_CORRUPT", kDataLoss, "支援計画の記録が破損しています。管理者に連絡してください") \
  /* Advisers and dispatches */ \
  X(kAdviserExists, "ADVISER_EXISTS", kAlreadyExists, "このアドバイザーは既に登録されています") \
  X(kAdviserNotFound, "ADVISER_NOT_FOUND", kNotFound, "アドバイザーが見つかりません") \
  X(kAdviserInactive, "ADVISER_INACTIVE", kFailedPrecondition, "このアドバイザーは現在派遣できません") \
  X(kFollowUpLimit, "FOLLOW_UP_LIMIT", kFailedPrecondition, "フォローアップ相談の回数または期間の上限を超えています") \
  X(kAdviserIndexCorrupt, "ADVISER_INDEX_CORRUPT", kDataLoss, "アドバイザーの索引が破損しています。管理者に連絡してください") \
  X(kAdviserRecordCorrupt, "ADVISER_RECORD_CORRUPT", kDataLoss, "アドバイザーの記録が破損しています。管理者に連絡してください") \
  X(kDispatchIndexCorrupt, "DISPATCH_INDEX_CORRUPT", kDataLoss, "派遣の索引が破損しています。管理者に連絡してください") \
  X(kDispatchKeyMissing, "DISPATCH_KEY_MISSING", kDataLoss, "派遣の鍵がありません。管理者に連絡してください") \
  X(kDispatchRecordCorrupt, "DISPATCH_RECORD_CORRUPT", kDataLoss, "派遣の記録が破損しています。管理者に連絡してください") \
  X(kDispatchRequestCorrupt, "DISPATCH_REQUEST_CORRUPT", kDataLoss, "派遣の要求IDの記録が破損しています。管理者に連絡してください") \
  X(kDispatchSequenceCorrupt, "DISPATCH_SEQUENCE_CORRUPT", kDataLoss, "派遣の採番記録が破損しています。管理者に連絡してください") \
  /* Monitoring and the work list */ \
  X(kMonitoringNotSet, "MONITORING_NOT_SET", kNotFound, "モニタリングの予定が設定されていません") \
  X(kMonitoringCorrupt, "MONITORING_CORRUPT", kDataLoss, "モニタリングの記録が破損しています。管理者に連絡してください") \
  X(kDueIndexCorrupt, "DUE_INDEX_CORRUPT", kDataLoss, "期日の索引が破損しています。管理者に連絡してください") \
  /* Statistics and plan indicators */ \
  X(kIndicatorNotFound, "INDICATOR_NOT_FOUND", kNotFound, "指標が見つかりません") \
  X(kYearNotClosed, "YEAR_NOT_CLOSED", kFailedPrecondition, "まだ終わっていない年度は公表できません") \
  X(kYearAlreadyPublished, "YEAR_ALREADY_PUBLISHED", kAlreadyExists, "この年度は既に公表されています") \
  X(kYearReleaseCorrupt, "YEAR_RELEASE_CORRUPT", kDataLoss, "公表済み年度の記録が破損しています。管理者に連絡してください") \
  X(kStatisticsInconsistent, "STATISTICS_INCONSISTENT", kInternal, "統計が記録と一致しません。管理者に連絡してください") \
  X(kDisclosureAuditFailed, "DISCLOSURE_AUDIT_FAILED", kInternal, "公表前の秘匿チェックに失敗しました。管理者に連絡してください") \
  /* Client-side exports (casectl, reports; never sent by the server) */ \
  X(kUnprotectedCell, "UNPROTECTED_CELL", kFailedPrecondition, "秘匿されていない小さな数値があるため出力できません") \
  X(kDisclosureAuditNotPassed, "DISCLOSURE_AUDIT_NOT_PASSED", kFailedPrecondition, "秘匿チェックに合格していない表は出力できません") \
  X(kXlsxWriteFailed, "XLSX_WRITE_FAILED", kInternal, "Excel ファイルを書き出せませんでした") \
  /* Intake date (issue 16) */ \
  X(kDatedBeforeIntake, "DATED_BEFORE_INTAKE", kFailedPrecondition, "事例の受付日より前の日付は記録できません") \
  X(kIntakeAfterRecords, "INTAKE_AFTER_RECORDS", kFailedPrecondition, "受付日より前の日付の記録があるため、受付日をその日より後にはできません") \
  /* Reading XLSX files (issue 16) */ \
  X(kNotXlsx, "NOT_XLSX", kInvalidArgument, "Excel（.xlsx）ファイルとして読めません。Excel で開けることを確認してください") \
  X(kXlsxMalformed, "XLSX_MALFORMED", kInvalidArgument, "Excel ファイルの内容が壊れています。Excel で開いて保存し直してください") \
  X(kXlsxTooLarge, "XLSX_TOO_LARGE", kInvalidArgument, "Excel ファイルが大きすぎます。行や列を減らすか、ファイルを分けてください") \
  X(kSheetNotFound, "SHEET_NOT_FOUND", kInvalidArgument, "指定されたシートがありません") \
  /* Vocabularies (issue 16) */ \
  X(kTermExists, "TERM_EXISTS", kAlreadyExists, "このコードは既に登録されています") \
  X(kTermNotFound, "TERM_NOT_FOUND", kNotFound, "コードが見つかりません") \
  X(kVocabularyFull, "VOCABULARY_FULL", kFailedPrecondition, "このリストにはこれ以上登録できません") \
  X(kVocabularyRecordCorrupt, "VOCABULARY_RECORD_CORRUPT", kDataLoss, "コード表の記録が破損しています。管理者に連絡してください") \
  X(kDemoVocabulariesInvalid, "DEMO_VOCABULARIES_INVALID", kFailedPrecondition, "デモ用のコード表に誤りがあります") \
  X(kDemoVocabulariesUnreadable, "DEMO_VOCABULARIES_UNREADABLE", kFailedPrecondition, "デモ用のコード表を読めません") \
  /* Household search (issue 16) */ \
  X(kPossibleDuplicate, "POSSIBLE_DUPLICATE", kFailedPrecondition, "同じ世帯の事例が既にあるかもしれません。既存の事例を確認し、別の世帯として登録する場合は重複を承知のうえで指定してください") \
  /* HTTP gateway (issue 17) */ \
  X(kUnsupportedContentType, "UNSUPPORTED_CONTENT_TYPE", kInvalidArgument, "この形式の要求には対応していません") \
  X(kUnsupportedEncoding, "UNSUPPORTED_ENCODING", kUnimplemented, "圧縮された要求には対応していません。圧縮せずに送ってください") \
  X(kNoSuchMethod, "NO_SUCH_METHOD", kNotFound, "この操作はありません") \
  X(kRequestTooLarge, "REQUEST_TOO_LARGE", kResourceExhausted, "要求が大きすぎます") \
  X(kConnectHeaderRequired, "CONNECT_HEADER_REQUIRED", kInvalidArgument, "この要求には Connect-Protocol-Version: 1 ヘッダーが必要です") \
  X(kHttpListenerFailed, "HTTP_LISTENER_FAILED", kFailedPrecondition, "HTTP の待ち受けを開始できません。設定を確認してください") \
  /* Sign-in (issue 17). */ \
  X(kSessionUnknown, "SESSION_UNKNOWN", kUnauthenticated, "サインインしていません。サインインしてください") \
  X(kSessionExpired, "SESSION_EXPIRED", kUnauthenticated, "一定時間が過ぎたため、サインインの有効期限が切れました。もう一度サインインしてください") \
  X(kSignInFailed, "SIGN_IN_FAILED", kUnauthenticated, "利用者ID、パスワードまたは確認コードが正しくありません。5回続けて誤ると、しばらくサインインできなくなります") \
  X(kCredentialCorrupt, "CREDENTIAL_CORRUPT", kDataLoss, "サインイン情報が破損しています。管理者に連絡してください") \
  X(kNoPasswordYet, "NO_PASSWORD_YET", kFailedPrecondition, "この利用者にはまだパスワードがありません。先にパスワードを設定してください")

// clang-format on

enum class Reason : uint16_t {
  // A reason this build does not know (an older or newer server's, read back by a client).
  kUnknown = 0,
#define CASECOORD_REASON_ID(id, name, code, japanese) id,
  CASECOORD_REASONS(CASECOORD_REASON_ID)
#undef CASECOORD_REASON_ID
};

struct ReasonSpec {
  Reason reason;
  std::string_view name;      // UPPER_SNAKE_CASE, the ErrorInfo.reason on the wire
  StatusCode code;            // the only code this reason is sent with
  std::string_view japanese;  // for people: what happened and, where it helps, what to do
};

// Every reason of the catalogue (kUnknown excluded), in declaration order.
std::span<const ReasonSpec> AllReasons();

// The entry of `reason`; for kUnknown a spec named "" with code kUnknown's fallback kInternal.
const ReasonSpec& SpecOf(Reason reason);

// The reason named `name`, or kUnknown when the catalogue has none by that name.
Reason ReasonNamed(std::string_view name);

}  // namespace casecoord
