//! KMS keys: their states, their key material, and the ciphertext blobs sealed under them.
//! Pure state on the injected clock; the JSON operations are in `ops.rs`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use zeroize::Zeroizing;

use super::failure::KmsFailure;
use crate::keypolicy::{self, KeyPolicy};

/// Length AWS's CiphertextBlob has for a 256-bit data key; ours is padded to it so inflation
/// figures match AWS's (kinesis-kms-facts.md: 167 bytes).
pub const AWS_DATA_KEY_BLOB_BYTES: usize = 167;
const MAGIC: &[u8; 4] = b"KCBK";
const BLOB_VERSION: u8 = 1;
/// Fixed bytes before the sealed key: magic, version, key uuid, material index, nonce, length.
const BLOB_FIXED: usize = 4 + 1 + 16 + 4 + 12 + 2;

/// A key's lifecycle state, as KMS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Usable.
    Enabled,
    /// `DisableKey`: cryptographic use answers `DisabledException`.
    Disabled,
    /// `ScheduleKeyDeletion`: use answers `KMSInvalidStateException` until deleted or cancelled.
    PendingDeletion,
}

impl KeyState {
    /// The name KMS uses in `KeyMetadata.KeyState`.
    pub fn name(self) -> &'static str {
        match self {
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::PendingDeletion => "PendingDeletion",
        }
    }
}

/// One KMS key.
#[derive(Debug)]
pub struct Key {
    /// Key id (a UUID).
    pub id: String,
    /// Key ARN.
    pub arn: String,
    /// Description given at creation.
    pub description: String,
    /// Current state.
    pub state: KeyState,
    /// Creation time (since the epoch).
    pub created: Duration,
    /// When a pending deletion completes.
    pub deletion_date: Option<Duration>,
    /// True for AWS-managed keys such as `alias/aws/kinesis`.
    pub aws_managed: bool,
    /// Automatic rotation on.
    pub rotation_enabled: bool,
    /// Rotation period, days (90..=2560).
    pub rotation_period_days: u32,
    /// The period as service time (days times the service's "day" when rotation was enabled).
    pub rotation_period: Duration,
    /// When automatic rotation next adds material (rotation on).
    pub next_rotation: Option<Duration>,
    /// Every rotation so far: when, and `AUTOMATIC` or `ON_DEMAND`.
    pub rotations: Vec<(Duration, &'static str)>,
    /// Resource tags.
    pub tags: BTreeMap<String, String>,
    /// The key policy, as given (or KMS's default), and parsed.
    pub policy_text: String,
    /// [`Key::policy_text`], parsed.
    pub policy: KeyPolicy,
    materials: Vec<Zeroizing<[u8; 32]>>,
    uuid: [u8; 16],
}

/// All keys and aliases of one account and region.
#[derive(Debug)]
pub struct KeyStore {
    account: String,
    region: String,
    keys: HashMap<String, Key>,
    aliases: BTreeMap<String, String>,
    deleted: HashSet<String>,
}

fn random_uuid() -> [u8; 16] {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

fn uuid_text(b: &[u8; 16]) -> String {
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn new_material() -> Zeroizing<[u8; 32]> {
    let mut m = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(m.as_mut());
    m
}

/// The canonical encoding of an encryption context (sorted pairs), bound as AAD.
pub fn context_aad(context: &BTreeMap<String, String>) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in context {
        out.extend_from_slice(&(k.len() as u32).to_be_bytes());
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(&(v.len() as u32).to_be_bytes());
        out.extend_from_slice(v.as_bytes());
    }
    out
}

impl KeyStore {
    /// An empty store.
    pub fn new(account: &str, region: &str) -> Self {
        Self {
            account: account.to_string(),
            region: region.to_string(),
            keys: HashMap::new(),
            aliases: BTreeMap::new(),
            deleted: HashSet::new(),
        }
    }

    /// Create an enabled key; returns its id.
    pub fn create_key(&mut self, description: &str, aws_managed: bool, now: Duration) -> String {
        let uuid = random_uuid();
        let id = uuid_text(&uuid);
        let arn = format!("arn:aws:kms:{}:{}:key/{}", self.region, self.account, id);
        let policy_text = keypolicy::default_policy(&self.account);
        let key = Key {
            id: id.clone(),
            arn,
            description: description.to_string(),
            state: KeyState::Enabled,
            created: now,
            deletion_date: None,
            aws_managed,
            rotation_enabled: aws_managed,
            rotation_period_days: 365,
            rotation_period: Duration::ZERO,
            next_rotation: None,
            rotations: Vec::new(),
            tags: BTreeMap::new(),
            policy: KeyPolicy::parse(&policy_text).unwrap_or(KeyPolicy {
                statements: Vec::new(),
            }),
            policy_text,
            materials: vec![new_material()],
            uuid,
        };
        self.keys.insert(id.clone(), key);
        id
    }

    /// Point `alias/...` at a key.
    pub fn create_alias(&mut self, alias: &str, key_id: &str) -> Result<(), KmsFailure> {
        if !alias.starts_with("alias/") || alias.len() <= 6 {
            return Err(KmsFailure::Validation(format!(
                "alias name '{alias}' must begin with 'alias/'"
            )));
        }
        if self.aliases.contains_key(alias) {
            return Err(KmsFailure::AlreadyExists(format!(
                "alias {alias} already exists"
            )));
        }
        self.aliases.insert(alias.to_string(), key_id.to_string());
        Ok(())
    }

    /// Remove an alias; false if there was none.
    pub fn delete_alias(&mut self, alias: &str) -> bool {
        self.aliases.remove(alias).is_some()
    }

    /// The AWS-managed key for Kinesis, created on first use as AWS does.
    pub fn aws_kinesis_key(&mut self, now: Duration) -> String {
        self.aws_managed_key("kinesis", "Kinesis", now)
    }

    /// The AWS-managed key `alias/aws/<service>` (`kinesis`, `s3`), created on first use as AWS
    /// does.
    pub fn aws_managed_key(&mut self, service: &str, title: &str, now: Duration) -> String {
        let alias = format!("alias/aws/{service}");
        if let Some(id) = self.aliases.get(&alias) {
            return id.clone();
        }
        let id = self.create_key(&format!("Default key for {title}"), true, now);
        let text = keypolicy::aws_managed_policy(&self.account, &self.region, service);
        if let (Some(key), Ok(policy)) = (self.keys.get_mut(&id), KeyPolicy::parse(&text)) {
            key.policy = policy;
            key.policy_text = text;
        }
        self.aliases.insert(alias, id.clone());
        id
    }

    /// The account the keys belong to.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The region the keys are in.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// All aliases (name, target key id).
    pub fn aliases(&self) -> impl Iterator<Item = (&String, &String)> {
        self.aliases.iter()
    }

    /// All live keys.
    pub fn keys(&self) -> impl Iterator<Item = &Key> {
        self.keys.values()
    }

    fn complete_deletions(&mut self, now: Duration) {
        let due: Vec<String> = self
            .keys
            .values()
            .filter(|k| k.state == KeyState::PendingDeletion)
            .filter(|k| k.deletion_date.is_some_and(|d| d <= now))
            .map(|k| k.id.clone())
            .collect();
        for id in due {
            self.delete_now(&id);
        }
    }

    /// Delete a key at once (its waiting period over): its material is zeroized and dropped, so
    /// everything sealed under it is unreadable for ever.
    pub fn delete_now(&mut self, id: &str) {
        if self.keys.remove(id).is_some() {
            self.deleted.insert(id.to_string());
            self.aliases.retain(|_, target| target != id);
        }
    }

    /// Add the material every automatic rotation due by `now` adds (a key whose period passed
    /// several times rotates that many times, each at its own date). A key that is not enabled
    /// does not rotate; its rotation resumes a period after it is enabled again (as KMS does).
    fn complete_rotations(&mut self, now: Duration) {
        for k in self.keys.values_mut() {
            while let Some(at) = k.next_rotation.filter(|&at| at <= now) {
                if k.state != KeyState::Enabled || k.rotation_period.is_zero() {
                    break;
                }
                k.materials.push(new_material());
                k.rotations.push((at, "AUTOMATIC"));
                k.next_rotation = Some(at + k.rotation_period);
            }
        }
    }

    /// Resolve a key id, key ARN, alias name or alias ARN to a live key id.
    pub fn resolve(&mut self, key_ref: &str, now: Duration) -> Result<String, KmsFailure> {
        self.complete_deletions(now);
        self.complete_rotations(now);
        let id = if let Some(pos) = key_ref.find(":alias/") {
            self.aliases.get(&key_ref[pos + 1..]).cloned()
        } else if key_ref.starts_with("alias/") {
            self.aliases.get(key_ref).cloned()
        } else if let Some(pos) = key_ref.find(":key/") {
            Some(key_ref[pos + 5..].to_string())
        } else {
            Some(key_ref.to_string())
        };
        match id {
            Some(id) if self.keys.contains_key(&id) => Ok(id),
            Some(id) if self.deleted.contains(&id) => Err(KmsFailure::NotFound(format!(
                "Key '{}' does not exist",
                self.arn_of(&id)
            ))),
            _ => Err(KmsFailure::NotFound(format!("Invalid keyId {key_ref}"))),
        }
    }

    fn arn_of(&self, id: &str) -> String {
        format!("arn:aws:kms:{}:{}:key/{}", self.region, self.account, id)
    }

    /// The key by id (after `resolve`).
    pub fn key(&self, id: &str) -> Option<&Key> {
        self.keys.get(id)
    }

    /// The key by id, mutable.
    pub fn key_mut(&mut self, id: &str) -> Option<&mut Key> {
        self.keys.get_mut(id)
    }

    /// Check a key can be used for cryptography now.
    pub fn usable(&mut self, key_ref: &str, now: Duration) -> Result<String, KmsFailure> {
        let id = self.resolve(key_ref, now)?;
        let key = &self.keys[&id];
        match key.state {
            KeyState::Enabled => Ok(id),
            KeyState::Disabled => Err(KmsFailure::Disabled(format!("{} is disabled.", key.arn))),
            KeyState::PendingDeletion => Err(KmsFailure::InvalidState(format!(
                "{} is pending deletion.",
                key.arn
            ))),
        }
    }

    /// Seal `plaintext` under the key's newest material, bound to `context`.
    pub fn seal(
        &mut self,
        key_ref: &str,
        plaintext: &[u8],
        context: &BTreeMap<String, String>,
        now: Duration,
    ) -> Result<(Vec<u8>, String), KmsFailure> {
        let id = self.usable(key_ref, now)?;
        let key = &self.keys[&id];
        let index = key.materials.len() - 1;
        let cipher = Aes256Gcm::new_from_slice(key.materials[index].as_ref())
            .map_err(|_| KmsFailure::Internal("bad key material".into()))?;
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut aad = context_aad(context);
        aad.extend_from_slice(&key.uuid);
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| KmsFailure::Internal("seal failed".into()))?;
        let mut blob = Vec::with_capacity(AWS_DATA_KEY_BLOB_BYTES.max(BLOB_FIXED + sealed.len()));
        blob.extend_from_slice(MAGIC);
        blob.push(BLOB_VERSION);
        blob.extend_from_slice(&key.uuid);
        blob.extend_from_slice(&(index as u32).to_be_bytes());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&(sealed.len() as u16).to_be_bytes());
        blob.extend_from_slice(&sealed);
        if blob.len() < AWS_DATA_KEY_BLOB_BYTES {
            blob.resize(AWS_DATA_KEY_BLOB_BYTES, 0);
        }
        Ok((blob, key.arn.clone()))
    }

    /// The key id a blob names, without opening it.
    pub fn blob_key_id(blob: &[u8]) -> Result<String, KmsFailure> {
        if blob.len() < BLOB_FIXED || &blob[0..4] != MAGIC || blob[4] != BLOB_VERSION {
            return Err(KmsFailure::InvalidCiphertext);
        }
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(&blob[5..21]);
        Ok(uuid_text(&uuid))
    }

    /// Open a blob sealed by [`KeyStore::seal`]: checks the key's state and the context.
    pub fn open(
        &mut self,
        blob: &[u8],
        context: &BTreeMap<String, String>,
        now: Duration,
    ) -> Result<(Zeroizing<Vec<u8>>, String), KmsFailure> {
        let id = Self::blob_key_id(blob)?;
        let id = self.usable(&id, now)?;
        let key = &self.keys[&id];
        let index = u32::from_be_bytes([blob[21], blob[22], blob[23], blob[24]]) as usize;
        let nonce = &blob[25..37];
        let len = u16::from_be_bytes([blob[37], blob[38]]) as usize;
        let sealed = blob
            .get(39..39 + len)
            .ok_or(KmsFailure::InvalidCiphertext)?;
        if blob[39 + len..].iter().any(|b| *b != 0) {
            return Err(KmsFailure::InvalidCiphertext);
        }
        let material = key
            .materials
            .get(index)
            .ok_or(KmsFailure::InvalidCiphertext)?;
        let cipher = Aes256Gcm::new_from_slice(material.as_ref())
            .map_err(|_| KmsFailure::Internal("bad key material".into()))?;
        let mut aad = context_aad(context);
        aad.extend_from_slice(&key.uuid);
        let plain = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| KmsFailure::InvalidCiphertext)?;
        Ok((Zeroizing::new(plain), key.arn.clone()))
    }

    /// Add new key material (a rotation); older blobs stay readable.
    pub fn rotate(&mut self, id: &str) {
        if let Some(k) = self.keys.get_mut(id) {
            k.materials.push(new_material());
        }
    }

    /// Key material versions a key has (1 + its rotations).
    pub fn material_versions(&self, id: &str) -> usize {
        self.keys.get(id).map_or(0, |k| k.materials.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> BTreeMap<String, String> {
        BTreeMap::from([("aws:kinesis:arn".to_string(), "s".to_string())])
    }

    #[test]
    fn blob_round_trips_and_has_aws_length() {
        let mut s = KeyStore::new("111122223333", "us-east-1");
        let now = Duration::from_secs(1);
        let id = s.create_key("k", false, now);
        let (blob, arn) = s.seal(&id, &[7u8; 32], &ctx(), now).unwrap();
        assert_eq!(blob.len(), AWS_DATA_KEY_BLOB_BYTES);
        assert!(arn.ends_with(&id));
        let (plain, _) = s.open(&blob, &ctx(), now).unwrap();
        assert_eq!(plain.as_slice(), &[7u8; 32]);
        assert_eq!(
            s.open(&blob, &BTreeMap::new(), now).unwrap_err(),
            KmsFailure::InvalidCiphertext
        );
    }

    #[test]
    fn states_gate_use_and_deletion_shreds() {
        let mut s = KeyStore::new("111122223333", "us-east-1");
        let now = Duration::from_secs(1);
        let id = s.create_key("k", false, now);
        let (blob, _) = s.seal(&id, b"secret", &ctx(), now).unwrap();
        s.key_mut(&id).unwrap().state = KeyState::Disabled;
        assert!(matches!(
            s.open(&blob, &ctx(), now),
            Err(KmsFailure::Disabled(_))
        ));
        let k = s.key_mut(&id).unwrap();
        k.state = KeyState::PendingDeletion;
        k.deletion_date = Some(now + Duration::from_secs(60));
        assert!(matches!(
            s.open(&blob, &ctx(), now),
            Err(KmsFailure::InvalidState(_))
        ));
        let later = now + Duration::from_secs(61);
        assert!(matches!(
            s.open(&blob, &ctx(), later),
            Err(KmsFailure::NotFound(_))
        ));
        assert!(s.key(&id).is_none());
    }

    #[test]
    fn rotation_keeps_old_blobs_readable() {
        let mut s = KeyStore::new("111122223333", "us-east-1");
        let now = Duration::from_secs(1);
        let id = s.create_key("k", false, now);
        let (old, _) = s.seal(&id, b"a", &ctx(), now).unwrap();
        s.rotate(&id);
        let (new, _) = s.seal(&id, b"b", &ctx(), now).unwrap();
        assert_eq!(s.open(&old, &ctx(), now).unwrap().0.as_slice(), b"a");
        assert_eq!(s.open(&new, &ctx(), now).unwrap().0.as_slice(), b"b");
    }

    #[test]
    fn garbage_blobs_are_invalid_ciphertext() {
        let mut s = KeyStore::new("1", "r");
        for len in [0usize, 3, 38, 39, 80, 167] {
            let blob = vec![0xAB; len];
            assert!(s.open(&blob, &ctx(), Duration::ZERO).is_err());
        }
    }
}
